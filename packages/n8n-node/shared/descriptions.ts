import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { EVENT_TYPES } from './core';

/** The subscription wildcard: every event type, including ones the API adds later. */
export const ALL_EVENTS = '*';

function label(type: string): string {
	return type
		.split(/[._]/)
		.map((part) => part.charAt(0).toUpperCase() + part.slice(1))
		.join(' ');
}

/** The ten event types as n8n options, e.g. "Customer Created" → customer.created. */
export const EVENT_TYPE_OPTIONS: INodePropertyOptions[] = [...EVENT_TYPES]
	.sort()
	.map((type) => ({ name: label(type), value: type, description: `Events of type ${type}` }));

/** The triggers' "Events" field: All Events (`*`, the API's wildcard) or a choice of types. */
export function eventsProperty(verb: string): INodeProperties {
	return {
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		required: true,
		options: [{ name: 'All Events', value: ALL_EVENTS, description: 'Every event type, including ones added later' }, ...EVENT_TYPE_OPTIONS],
		default: [],
		description: `The event types that ${verb}`,
	};
}

/** The canvas subtitle of a trigger: its selection, or "All events". */
export const EVENTS_SUBTITLE =
	'={{ !($parameter["events"] || []).length || ($parameter["events"] || []).includes("*") ? "All events" : $parameter["events"].join(", ") }}';

/**
 * The chosen types, or undefined for all. Empty counts as all too: a workflow saved before the
 * field was required, or one built in code, means "everything" by leaving it out.
 */
export function chosenTypes(events: readonly string[] | undefined): string[] | undefined {
	const types = (events ?? []).filter((type) => type !== '');
	return types.length === 0 || types.includes(ALL_EVENTS) ? undefined : [...new Set(types)];
}

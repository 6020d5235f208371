import type { INodePropertyOptions } from 'n8n-workflow';
import { EVENT_TYPES } from './core';

function label(type: string): string {
	return type
		.split(/[._]/)
		.map((part) => part.charAt(0).toUpperCase() + part.slice(1))
		.join(' ');
}

/** The ten v1 event types as n8n options, e.g. "Customer Created" → customer.created. */
export const EVENT_TYPE_OPTIONS: INodePropertyOptions[] = [...EVENT_TYPES]
	.sort()
	.map((type) => ({ name: label(type), value: type, description: `Fires on ${type}` }));

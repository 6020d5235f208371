import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { CREDENTIAL_NAME, getClient, toNodeError } from '../../shared/client';
import { CheckpointTracker, PAGE_LIMIT_MAX, type Checkpoint, type EventEnvelope } from '../../shared/core';
import { EVENT_TYPE_OPTIONS } from '../../shared/descriptions';

interface PollState extends IDataObject {
	checkpoint?: IDataObject;
}

export class EventsyncPollTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Eventsync Poll Trigger',
		name: 'eventsyncPollTrigger',
		icon: { light: 'file:../../icons/eventsync.svg', dark: 'file:../../icons/eventsync.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ ($parameter["events"] || []).length ? $parameter["events"].join(", ") : "All events" }}',
		description: 'Starts the workflow for each new event in the Eventsync events feed, checked on a schedule',
		defaults: { name: 'Eventsync Poll Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: EVENT_TYPE_OPTIONS,
				default: [],
				description: 'The event types to emit. Leave empty for all event types.',
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const types = this.getNodeParameter('events', []) as string[];
		const typeFilter = types.length > 0 ? types : undefined;
		try {
			const { client } = await getClient(this);
			if (this.getMode() === 'manual') {
				// A sample for the editor: the newest event, without touching the checkpoint.
				const latest = await client.events.latest(1, typeFilter);
				return latest.length > 0 ? [this.helpers.returnJsonArray(latest as unknown as IDataObject[])] : null;
			}

			const state = this.getWorkflowStaticData('node') as PollState;
			const now = Date.now();
			// First activation: start from now rather than replaying the 30-day history.
			const saved = (state.checkpoint as unknown as Checkpoint | undefined) ?? { watermark: new Date(now).toISOString(), seen: [] };
			const tracker = new CheckpointTracker(saved);
			const window = tracker.beginPass(now);
			const emitted: EventEnvelope[] = [];
			for await (const page of client.events.pages(
				{ ...window, ...(typeFilter ? { types: typeFilter } : {}), limit: PAGE_LIMIT_MAX, order: 'asc' },
				{ prefetch: false },
			)) {
				const fresh = tracker.fresh(page.events);
				emitted.push(...fresh);
				tracker.commitPage(page, fresh);
			}
			state.checkpoint = tracker.snapshot() as unknown as IDataObject;
			return emitted.length > 0 ? [this.helpers.returnJsonArray(emitted as unknown as IDataObject[])] : null;
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
	}
}

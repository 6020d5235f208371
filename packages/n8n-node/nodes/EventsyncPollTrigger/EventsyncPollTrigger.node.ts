import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { CREDENTIAL_NAME, getClient, toNodeError } from '../../shared/client';
import { pollOnce, type Checkpoint } from '../../shared/core';
import { EVENTS_SUBTITLE, chosenTypes, eventsProperty } from '../../shared/descriptions';

interface PollState extends IDataObject {
	checkpoint?: IDataObject;
}

export class EventsyncPollTrigger implements INodeType {
	description: INodeTypeDescription = {
		// n8n shows trigger names without "Trigger": this one reads "Eventsync Polling" beside "Eventsync Instant".
		displayName: 'Eventsync Polling Trigger',
		name: 'eventsyncPollTrigger',
		icon: { light: 'file:../../icons/eventsync.svg', dark: 'file:../../icons/eventsync.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: EVENTS_SUBTITLE,
		description: 'Checks Eventsync for new events on a schedule (every minute or less often); no webhook needed',
		defaults: { name: 'Eventsync Polling Trigger' },
		triggerPanel: {
			header: 'Checks Eventsync for new events on the schedule below',
			executionsHelp: {
				inactive:
					'While you build the workflow, click "Fetch Test Event" to get the newest event of the selected types. Once the workflow is published, n8n checks Eventsync on the schedule and starts one execution with every event that is new since the last check.',
				active:
					'The workflow is published: n8n checks Eventsync on the schedule and starts one execution with every event that is new since the last check. Checks that find nothing start none.',
			},
			activationHint: 'Publish the workflow to have n8n check Eventsync on the schedule. It starts with events created after publishing, not the history.',
		},
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties: [eventsProperty('start the workflow')],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const types = chosenTypes(this.getNodeParameter('events', []) as string[]);
		try {
			const { client } = await getClient(this);
			// The newest matching event: the editor's sample, and for a poll the first request, whose
			// Date header tells the client the API's clock. What the feed shows is decided on that
			// clock, so the pass is timed by it rather than by this machine's.
			const latest = await client.events.latest(1, types);
			if (this.getMode() === 'manual') {
				// Static data is not kept in manual mode: a sample that does not touch the checkpoint.
				return latest.length > 0 ? [this.helpers.returnJsonArray(latest as unknown as IDataObject[])] : null;
			}

			const state = this.getWorkflowStaticData('node') as PollState;
			const { clock } = client.events;
			// First activation: start from now rather than replaying the 30-day history. "Now" is a time
			// the API's clock has certainly reached (its estimate could be up to half a second ahead), so
			// no event created after activation falls before the checkpoint.
			const startAt = clock.offset ? Date.now() + clock.offset.low : clock.now();
			const saved = (state.checkpoint as unknown as Checkpoint | undefined) ?? { watermark: new Date(startAt).toISOString(), seen: [] };
			// One sweep up to the API's now (its clock learnt from the request above); the checkpoint is
			// stored with the events n8n emits, so a poll that fails emits nothing and moves nothing.
			const { events, checkpoint } = await pollOnce(client.events, saved, { types });
			state.checkpoint = checkpoint as unknown as IDataObject;
			return events.length > 0 ? [this.helpers.returnJsonArray(events as unknown as IDataObject[])] : null;
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
	}
}

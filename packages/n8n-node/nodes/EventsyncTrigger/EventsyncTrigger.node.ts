import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { CREDENTIAL_NAME, getClient, readCredentials, toNodeError } from '../../shared/client';
import { NotFoundError } from '../../shared/core';
import { judgeDelivery } from '../../shared/delivery';
import { ALL_EVENTS, EVENTS_SUBTITLE, chosenTypes, eventsProperty } from '../../shared/descriptions';

interface SubscriptionState extends IDataObject {
	subscriptionId?: string;
	secret?: string;
	url?: string;
}

function chosen(context: IHookFunctions | IWebhookFunctions): string[] | undefined {
	return chosenTypes(context.getNodeParameter('events', []) as string[]);
}

function clearState(state: SubscriptionState): void {
	delete state.subscriptionId;
	delete state.secret;
	delete state.url;
}

export class EventsyncTrigger implements INodeType {
	description: INodeTypeDescription = {
		// n8n shows trigger names without "Trigger": this one reads "Eventsync Instant" beside "Eventsync Polling".
		displayName: 'Eventsync Instant Trigger',
		name: 'eventsyncTrigger',
		icon: { light: 'file:../../icons/eventsync.svg', dark: 'file:../../icons/eventsync.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: EVENTS_SUBTITLE,
		description: 'Starts the workflow the moment Eventsync sends an event (webhook, no polling)',
		defaults: { name: 'Eventsync Instant Trigger' },
		eventTriggerDescription: 'Waiting for Eventsync to send an event',
		activationMessage: 'Eventsync now sends each new event of the selected types to this workflow the moment it happens.',
		triggerPanel: {
			header: 'Eventsync sends each event to n8n the moment it happens',
			executionsHelp: {
				inactive:
					'While you build the workflow, run this step: n8n listens for a test event while you make something happen in Eventsync (or send a test delivery to the subscription), and the event shows up here. Once the workflow is published, every event of the selected types starts an execution on its own.',
				active:
					'The workflow is published: every event of the selected types starts an execution on its own, the moment Eventsync sends it. You can find them in the executions list.',
			},
			activationHint: 'Publish the workflow to have Eventsync send every new event of the selected types here, with no polling.',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [eventsProperty('start the workflow')],
	};

	webhookMethods = {
		default: {
			// True only when the subscription in static data still exists, is active, was not auto-disabled and points at this URL.
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as SubscriptionState;
				if (!state.subscriptionId || !state.secret) return false;
				const { client } = await getClient(this);
				try {
					const subscription = await client.subscriptions.get(state.subscriptionId);
					const url = this.getNodeWebhookUrl('default');
					if (subscription.active && subscription.auto_disabled_at === null && subscription.url === url) return true;
					// Gone stale (auto-disabled after failures, disabled, or for another URL): drop it and create a fresh one.
					await client.subscriptions.delete(state.subscriptionId).catch(() => undefined);
					clearState(state);
					return false;
				} catch (error) {
					if (error instanceof NotFoundError) {
						clearState(state);
						return false;
					}
					throw toNodeError(this.getNode(), error);
				}
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const url = this.getNodeWebhookUrl('default');
				if (!url) return false;
				const { client } = await getClient(this);
				try {
					const subscription = await client.subscriptions.create({
						url,
						events: chosen(this) ?? [ALL_EVENTS],
						managedBy: 'n8n',
						description: `n8n workflow ${this.getWorkflow().id ?? ''} node "${this.getNode().name}"`,
					});
					const state = this.getWorkflowStaticData('node') as SubscriptionState;
					state.subscriptionId = subscription.id;
					state.secret = subscription.secret;
					state.url = url;
					return true;
				} catch (error) {
					throw toNodeError(this.getNode(), error);
				}
			},

			// Removes the subscription (already gone is fine) and always forgets it, even when the API call fails.
			async delete(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as SubscriptionState;
				if (!state.subscriptionId) return true;
				try {
					const { client } = await getClient(this);
					await client.subscriptions.delete(state.subscriptionId);
				} catch (error) {
					this.logger.warn(`Eventsync Trigger: could not delete subscription ${state.subscriptionId}: ${(error as Error).message}`);
					return false;
				} finally {
					clearState(state);
				}
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const state = this.getWorkflowStaticData('node') as SubscriptionState;
		const { preset } = await readCredentials(this);
		const verdict = judgeDelivery({
			settings: preset.signature,
			rawBody: (request as { rawBody?: Uint8Array | string }).rawBody ?? '',
			headers: request.headers as Record<string, string | string[] | undefined>,
			secret: state.secret ?? '',
			now: Date.now(),
			types: chosen(this),
			listening: this.getMode() === 'manual',
		});
		if (!verdict.run) {
			this.getResponseObject().status(verdict.status).json(verdict.body);
			return { noWebhookResponse: true };
		}
		const { event, deliveryId } = verdict;
		return {
			workflowData: [this.helpers.returnJsonArray([{ ...(event as unknown as IDataObject), ...(deliveryId ? { delivery_id: deliveryId } : {}) }])],
		};
	}
}

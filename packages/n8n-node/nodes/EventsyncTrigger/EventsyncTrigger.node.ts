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
import { NotFoundError, SignatureError, verifyWebhook } from '../../shared/core';
import { EVENT_TYPE_OPTIONS } from '../../shared/descriptions';

interface SubscriptionState extends IDataObject {
	subscriptionId?: string;
	secret?: string;
	url?: string;
}

function selectedEvents(this: IHookFunctions): string[] {
	const events = this.getNodeParameter('events', []) as string[];
	return events.length === 0 ? ['*'] : events;
}

function clearState(state: SubscriptionState): void {
	delete state.subscriptionId;
	delete state.secret;
	delete state.url;
}

export class EventsyncTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Eventsync Trigger',
		name: 'eventsyncTrigger',
		icon: { light: 'file:../../icons/eventsync.svg', dark: 'file:../../icons/eventsync.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ ($parameter["events"] || []).length ? $parameter["events"].join(", ") : "All events" }}',
		description: 'Starts the workflow when Eventsync delivers a signed webhook event',
		defaults: { name: 'Eventsync Trigger' },
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
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: EVENT_TYPE_OPTIONS,
				default: [],
				description: 'The event types to receive. Leave empty for all event types.',
			},
		],
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
						events: selectedEvents.call(this),
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
		const rawBody = (request as { rawBody?: Uint8Array | string }).rawBody ?? '';
		try {
			verifyWebhook({
				settings: preset.signature,
				rawBody,
				headers: request.headers as Record<string, string | string[] | undefined>,
				secrets: state.secret ?? '',
				now: Date.now(),
			});
		} catch (error) {
			const reason = error instanceof SignatureError ? error.reason : 'invalid';
			const response = this.getResponseObject();
			response.status(401).json({ error: { code: 'invalid_signature', reason } });
			return { noWebhookResponse: true };
		}
		const body = (typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody)) || '{}';
		const event = JSON.parse(body) as IDataObject;
		const headers = request.headers as Record<string, string | undefined>;
		const deliveryId = headers[preset.signature.deliveryIdHeader.toLowerCase()];
		return {
			workflowData: [this.helpers.returnJsonArray([{ ...event, ...(deliveryId ? { delivery_id: deliveryId } : {}) }])],
		};
	}
}

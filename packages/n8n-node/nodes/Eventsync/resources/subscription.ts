import type { INodeProperties } from 'n8n-workflow';
import { asItems, collect, limitOf, returnAllAndLimit, shownFor, type Resource } from './types';

const RESOURCE = 'subscription';

const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [RESOURCE] } },
		options: [
			{ name: 'Delete', value: 'delete', action: 'Delete a subscription', description: 'Delete a webhook subscription' },
			{ name: 'Disable', value: 'disable', action: 'Disable a subscription', description: 'Stop deliveries to a subscription' },
			{ name: 'Enable', value: 'enable', action: 'Enable a subscription', description: 'Resume deliveries and reset the failure count' },
			{ name: 'Get', value: 'get', action: 'Get a subscription', description: 'Get a webhook subscription' },
			{ name: 'Get Many', value: 'getAll', action: 'Get many subscriptions', description: 'List webhook subscriptions' },
			{ name: 'List Failures', value: 'listFailures', action: 'List failed deliveries of a subscription', description: 'List failed delivery attempts, newest first' },
			{ name: 'Send Test', value: 'sendTest', action: 'Send a test event to a subscription', description: 'Deliver a webhook.test event now' },
		],
		default: 'getAll',
	},
	{
		displayName: 'Subscription ID',
		name: 'subscriptionId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'whsub_01J…',
		description: 'ID of the webhook subscription',
		...shownFor(RESOURCE, ['get', 'enable', 'disable', 'delete', 'sendTest', 'listFailures']),
	},
	...returnAllAndLimit(RESOURCE, ['getAll', 'listFailures']),
];

export const subscription: Resource = {
	option: { name: 'Subscription', value: RESOURCE },
	properties,
	async run(context, client, operation, index) {
		const id = () => context.getNodeParameter('subscriptionId', index) as string;
		switch (operation) {
			case 'getAll':
				return asItems(await collect(client.subscriptions.iterate(), limitOf(context, index)));
			case 'get':
				return asItems(await client.subscriptions.get(id()));
			case 'enable':
				return asItems(await client.subscriptions.enable(id()));
			case 'disable':
				return asItems(await client.subscriptions.disable(id()));
			case 'delete': {
				const subscriptionId = id();
				const result = await client.subscriptions.delete(subscriptionId);
				return { id: subscriptionId, deleted: result.deleted };
			}
			case 'sendTest':
				return asItems(await client.subscriptions.test(id()));
			case 'listFailures':
				return asItems(await collect(client.subscriptions.iterateFailures(id()), limitOf(context, index)));
		}
		return undefined;
	},
};

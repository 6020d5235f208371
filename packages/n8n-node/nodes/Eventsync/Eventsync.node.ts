import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { CREDENTIAL_NAME, getClient, toNodeError } from '../../shared/client';
import { PAGE_LIMIT_MAX, type EventsyncClient } from '../../shared/core';
import { EVENT_TYPE_OPTIONS } from '../../shared/descriptions';

const customerId: INodeProperties = {
	displayName: 'Customer ID',
	name: 'customerId',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'cus_01J…',
	description: 'ID of the customer',
};

const subscriptionId: INodeProperties = {
	displayName: 'Subscription ID',
	name: 'subscriptionId',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'whsub_01J…',
	description: 'ID of the webhook subscription',
};

function returnAllAndLimit(resource: string, operations: string[]): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			displayOptions: { show: { resource: [resource], operation: operations } },
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { resource: [resource], operation: operations, returnAll: [false] } },
		},
	];
}

const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Event', value: 'event' },
			{ name: 'Record', value: 'record' },
			{ name: 'Subscription', value: 'subscription' },
		],
		default: 'record',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['record'] } },
		options: [
			{ name: 'Add Note', value: 'addNote', action: 'Add a note to a customer', description: 'Add a note to a customer' },
			{ name: 'Create Customer', value: 'createCustomer', action: 'Create a customer', description: 'Create a customer' },
			{ name: 'Create Lead', value: 'createLead', action: 'Create a lead', description: 'Create a lead' },
			{ name: 'Find Customers by Email', value: 'findByEmail', action: 'Find customers by email', description: 'Find customers whose email matches exactly' },
			{ name: 'Get Customer', value: 'getCustomer', action: 'Get a customer', description: 'Get a customer by ID' },
			{ name: 'Update Customer', value: 'updateCustomer', action: 'Update a customer', description: 'Update a customer' },
		],
		default: 'createCustomer',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['event'] } },
		options: [{ name: 'Get Many', value: 'getAll', action: 'Get many events', description: 'Get events from the feed' }],
		default: 'getAll',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['subscription'] } },
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

	// Record fields
	{
		displayName: 'Email',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		required: true,
		default: '',
		description: 'Email address of the person',
		displayOptions: { show: { resource: ['record'], operation: ['createCustomer', 'createLead', 'findByEmail'] } },
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		description: 'Full name of the person',
		displayOptions: { show: { resource: ['record'], operation: ['createCustomer', 'createLead'] } },
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: { resource: ['record'], operation: ['createCustomer'] } },
		options: [{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'Phone number of the customer' }],
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: { resource: ['record'], operation: ['createLead'] } },
		options: [{ displayName: 'Source', name: 'source', type: 'string', default: '', description: 'Where the lead came from' }],
	},
	{ ...customerId, displayOptions: { show: { resource: ['record'], operation: ['updateCustomer', 'getCustomer', 'addNote'] } } },
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: { resource: ['record'], operation: ['updateCustomer'] } },
		options: [
			{ displayName: 'Email', name: 'email', type: 'string', placeholder: 'name@email.com', default: '', description: 'New email address' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'New full name' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'New phone number' },
		],
	},
	{
		displayName: 'Note',
		name: 'note',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		description: 'Text of the note',
		displayOptions: { show: { resource: ['record'], operation: ['addNote'] } },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: PAGE_LIMIT_MAX },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { resource: ['record'], operation: ['findByEmail'] } },
	},

	// Event fields
	...returnAllAndLimit('event', ['getAll']),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: { resource: ['event'], operation: ['getAll'] } },
		options: [
			{ displayName: 'Event Types', name: 'types', type: 'multiOptions', options: EVENT_TYPE_OPTIONS, default: [], description: 'Only events of these types' },
			{ displayName: 'Since', name: 'since', type: 'dateTime', default: '', description: 'Only events created at or after this time' },
			{ displayName: 'Until', name: 'until', type: 'dateTime', default: '', description: 'Only events created before this time' },
		],
	},

	// Subscription fields
	{ ...subscriptionId, displayOptions: { show: { resource: ['subscription'], operation: ['get', 'enable', 'disable', 'delete', 'sendTest', 'listFailures'] } } },
	...returnAllAndLimit('subscription', ['getAll', 'listFailures']),
];

function isoOrUndefined(value: unknown): string | undefined {
	if (typeof value !== 'string' || value === '') return undefined;
	const time = Date.parse(value);
	return Number.isNaN(time) ? value : new Date(time).toISOString();
}

async function collect<T>(iterable: AsyncIterable<T>, limit: number | undefined): Promise<T[]> {
	const results: T[] = [];
	for await (const item of iterable) {
		results.push(item);
		if (limit !== undefined && results.length >= limit) break;
	}
	return results;
}

async function runOperation(this: IExecuteFunctions, client: EventsyncClient, index: number): Promise<IDataObject | IDataObject[]> {
	const resource = this.getNodeParameter('resource', index) as string;
	const operation = this.getNodeParameter('operation', index) as string;
	const limitFor = () => (this.getNodeParameter('returnAll', index, false) ? undefined : (this.getNodeParameter('limit', index, 50) as number));

	if (resource === 'record') {
		switch (operation) {
			case 'createCustomer': {
				const extra = this.getNodeParameter('additionalFields', index, {}) as IDataObject;
				return (await client.records.createCustomer({
					email: this.getNodeParameter('email', index) as string,
					name: this.getNodeParameter('name', index) as string,
					...(extra.phone ? { phone: String(extra.phone) } : {}),
				})) as unknown as IDataObject;
			}
			case 'createLead': {
				const extra = this.getNodeParameter('additionalFields', index, {}) as IDataObject;
				return (await client.records.createLead({
					email: this.getNodeParameter('email', index) as string,
					name: this.getNodeParameter('name', index) as string,
					...(extra.source ? { source: String(extra.source) } : {}),
				})) as unknown as IDataObject;
			}
			case 'updateCustomer': {
				const fields = this.getNodeParameter('updateFields', index, {}) as IDataObject;
				const patch: Record<string, string> = {};
				for (const key of ['email', 'name', 'phone']) if (typeof fields[key] === 'string' && fields[key] !== '') patch[key] = fields[key] as string;
				return (await client.records.updateCustomer(this.getNodeParameter('customerId', index) as string, patch)) as unknown as IDataObject;
			}
			case 'getCustomer':
				return (await client.records.getCustomer(this.getNodeParameter('customerId', index) as string)) as unknown as IDataObject;
			case 'findByEmail':
				return (await client.records.findCustomersByEmail(this.getNodeParameter('email', index) as string, {
					limit: this.getNodeParameter('limit', index, 50) as number,
				})) as unknown as IDataObject[];
			case 'addNote':
				return (await client.records.addNote(
					this.getNodeParameter('customerId', index) as string,
					this.getNodeParameter('note', index) as string,
				)) as unknown as IDataObject;
		}
	}

	if (resource === 'event' && operation === 'getAll') {
		const filters = this.getNodeParameter('filters', index, {}) as IDataObject;
		const types = (filters.types as string[] | undefined) ?? [];
		const limit = limitFor();
		const query = {
			...(isoOrUndefined(filters.since) ? { since: isoOrUndefined(filters.since) } : {}),
			...(isoOrUndefined(filters.until) ? { until: isoOrUndefined(filters.until) } : {}),
			...(types.length > 0 ? { types } : {}),
			limit: Math.min(limit ?? PAGE_LIMIT_MAX, PAGE_LIMIT_MAX),
		};
		return (await collect(client.events.iterate(query, { prefetch: false }), limit)) as unknown as IDataObject[];
	}

	if (resource === 'subscription') {
		const id = () => this.getNodeParameter('subscriptionId', index) as string;
		switch (operation) {
			case 'getAll':
				return (await collect(client.subscriptions.iterate(), limitFor())) as unknown as IDataObject[];
			case 'get':
				return (await client.subscriptions.get(id())) as unknown as IDataObject;
			case 'enable':
				return (await client.subscriptions.enable(id())) as unknown as IDataObject;
			case 'disable':
				return (await client.subscriptions.disable(id())) as unknown as IDataObject;
			case 'delete': {
				const subscription = id();
				const result = await client.subscriptions.delete(subscription);
				return { id: subscription, deleted: result.deleted };
			}
			case 'sendTest':
				return (await client.subscriptions.test(id())) as unknown as IDataObject;
			case 'listFailures':
				return (await collect(client.subscriptions.iterateFailures(id()), limitFor())) as unknown as IDataObject[];
		}
	}
	throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not known for resource "${resource}"`, { itemIndex: index });
}

export class Eventsync implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Eventsync',
		name: 'eventsync',
		icon: { light: 'file:../../icons/eventsync.svg', dark: 'file:../../icons/eventsync.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Create records, read the events feed and manage webhook subscriptions in Eventsync',
		defaults: { name: 'Eventsync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];
		const { client } = await getClient(this);
		for (let index = 0; index < items.length; index++) {
			try {
				const result = await runOperation.call(this, client, index);
				const executionData = this.helpers.constructExecutionMetaData(this.helpers.returnJsonArray(result), { itemData: { item: index } });
				returnData.push(...executionData);
			} catch (error) {
				const nodeError = toNodeError(this.getNode(), error);
				if (this.continueOnFail()) {
					returnData.push({ json: { error: nodeError.message }, pairedItem: { item: index } });
					continue;
				}
				throw nodeError;
			}
		}
		return [returnData];
	}
}

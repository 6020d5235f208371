import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { PAGE_LIMIT_MAX } from '../../../shared/core';
import { asItems, shownFor, type Resource } from './types';
import { writeOptions } from './write-key';

const RESOURCE = 'customer';

export const customerId: INodeProperties = {
	displayName: 'Customer ID',
	name: 'customerId',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'cus_01J…',
	description: 'ID of the customer',
};

const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [RESOURCE] } },
		options: [
			{ name: 'Create', value: 'create', action: 'Create a customer', description: 'Create a customer' },
			{ name: 'Find by Email', value: 'findByEmail', action: 'Find customers by email', description: 'Find customers whose email matches exactly (ignoring case)' },
			{ name: 'Get', value: 'get', action: 'Get a customer', description: 'Get a customer by ID' },
			{ name: 'Update', value: 'update', action: 'Update a customer', description: 'Change the email, name or phone of a customer' },
		],
		default: 'create',
	},
	{
		displayName: 'Email',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		required: true,
		default: '',
		description: 'Email address of the customer',
		...shownFor(RESOURCE, ['create', 'findByEmail']),
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		description: 'Full name of the customer',
		...shownFor(RESOURCE, ['create']),
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		...shownFor(RESOURCE, ['create']),
		options: [{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'Phone number of the customer' }],
	},
	{ ...customerId, ...shownFor(RESOURCE, ['get', 'update']) },
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		...shownFor(RESOURCE, ['update']),
		options: [
			{ displayName: 'Email', name: 'email', type: 'string', placeholder: 'name@email.com', default: '', description: 'New email address' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'New full name' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '', description: 'New phone number' },
		],
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: PAGE_LIMIT_MAX },
		default: 50,
		description: 'Max number of results to return',
		...shownFor(RESOURCE, ['findByEmail']),
	},
];

export const customer: Resource = {
	option: { name: 'Customer', value: RESOURCE },
	properties,
	async run(context, client, operation, index) {
		const param = (name: string) => context.getNodeParameter(name, index) as string;
		switch (operation) {
			case 'create': {
				const extra = context.getNodeParameter('additionalFields', index, {}) as IDataObject;
				const input = { email: param('email'), name: param('name'), ...(extra.phone ? { phone: String(extra.phone) } : {}) };
				return asItems(await client.records.createCustomer(input, writeOptions(context, index, 'customer.create')));
			}
			case 'update': {
				const fields = context.getNodeParameter('updateFields', index, {}) as IDataObject;
				const patch: Record<string, string> = {};
				for (const key of ['email', 'name', 'phone']) if (typeof fields[key] === 'string' && fields[key] !== '') patch[key] = fields[key] as string;
				return asItems(await client.records.updateCustomer(param('customerId'), patch, writeOptions(context, index, 'customer.update')));
			}
			case 'get':
				return asItems(await client.records.getCustomer(param('customerId')));
			case 'findByEmail':
				return asItems(await client.records.findCustomersByEmail(param('email'), { limit: context.getNodeParameter('limit', index, 50) as number }));
		}
		return undefined;
	},
};

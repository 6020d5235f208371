import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { asItems, shownFor, type Resource } from './types';
import { writeOptions } from './write-key';

const RESOURCE = 'lead';

const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [RESOURCE] } },
		options: [{ name: 'Create', value: 'create', action: 'Create a lead', description: 'Create a lead' }],
		default: 'create',
	},
	{
		displayName: 'Email',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		required: true,
		default: '',
		description: 'Email address of the lead',
		...shownFor(RESOURCE, ['create']),
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		description: 'Full name of the lead',
		...shownFor(RESOURCE, ['create']),
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		...shownFor(RESOURCE, ['create']),
		options: [{ displayName: 'Source', name: 'source', type: 'string', default: '', description: 'Where the lead came from, e.g. webinar' }],
	},
];

export const lead: Resource = {
	option: { name: 'Lead', value: RESOURCE },
	properties,
	async run(context, client, operation, index) {
		if (operation !== 'create') return undefined;
		const extra = context.getNodeParameter('additionalFields', index, {}) as IDataObject;
		const input = {
			email: context.getNodeParameter('email', index) as string,
			name: context.getNodeParameter('name', index) as string,
			...(extra.source ? { source: String(extra.source) } : {}),
		};
		return asItems(await client.records.createLead(input, writeOptions(context, index, 'lead.create')));
	},
};

import type { INodeProperties } from 'n8n-workflow';
import { customerId } from './customer';
import { asItems, shownFor, type Resource } from './types';
import { writeOptions } from './write-key';

const RESOURCE = 'note';

const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [RESOURCE] } },
		options: [{ name: 'Create', value: 'create', action: 'Create a note on a customer', description: 'Add a note to a customer' }],
		default: 'create',
	},
	{ ...customerId, description: 'ID of the customer the note is about', ...shownFor(RESOURCE, ['create']) },
	{
		displayName: 'Note',
		name: 'note',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		description: 'Text of the note',
		...shownFor(RESOURCE, ['create']),
	},
];

export const note: Resource = {
	option: { name: 'Note', value: RESOURCE },
	properties,
	async run(context, client, operation, index) {
		if (operation !== 'create') return undefined;
		const customer = context.getNodeParameter('customerId', index) as string;
		const body = context.getNodeParameter('note', index) as string;
		return asItems(await client.records.addNote(customer, body, writeOptions(context, index, 'note.create')));
	},
};

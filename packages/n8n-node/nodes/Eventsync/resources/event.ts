import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { PAGE_LIMIT_MAX } from '../../../shared/core';
import { EVENT_TYPE_OPTIONS } from '../../../shared/descriptions';
import { asItems, collect, limitOf, returnAllAndLimit, shownFor, type Resource } from './types';

const RESOURCE = 'event';

const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [RESOURCE] } },
		options: [{ name: 'Get Many', value: 'getAll', action: 'Get many events', description: 'Get events from the feed, newest first unless you choose otherwise' }],
		default: 'getAll',
	},
	...returnAllAndLimit(RESOURCE, ['getAll']),
	{
		displayName: 'Order',
		name: 'order',
		type: 'options',
		options: [
			{ name: 'Newest First', value: 'desc', description: 'The most recent events, e.g. "the last 5"' },
			{ name: 'Oldest First', value: 'asc', description: 'In the order they happened, from the oldest kept (30 days) or from Since' },
		],
		default: 'desc',
		description: 'Which events come first, and so which ones a limit keeps',
		...shownFor(RESOURCE, ['getAll']),
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		...shownFor(RESOURCE, ['getAll']),
		options: [
			{ displayName: 'Event Types', name: 'types', type: 'multiOptions', options: EVENT_TYPE_OPTIONS, default: [], description: 'Only events of these types' },
			{ displayName: 'Since', name: 'since', type: 'dateTime', default: '', description: 'Only events created at or after this time' },
			{ displayName: 'Until', name: 'until', type: 'dateTime', default: '', description: 'Only events created before this time' },
		],
	},
];

function isoOrUndefined(value: unknown): string | undefined {
	if (typeof value !== 'string' || value === '') return undefined;
	const time = Date.parse(value);
	return Number.isNaN(time) ? value : new Date(time).toISOString();
}

export const event: Resource = {
	option: { name: 'Event', value: RESOURCE },
	properties,
	async run(context, client, operation, index) {
		if (operation !== 'getAll') return undefined;
		const filters = context.getNodeParameter('filters', index, {}) as IDataObject;
		const types = (filters.types as string[] | undefined) ?? [];
		const limit = limitOf(context, index);
		const since = isoOrUndefined(filters.since);
		const until = isoOrUndefined(filters.until);
		const query = {
			...(since ? { since } : {}),
			...(until ? { until } : {}),
			...(types.length > 0 ? { types } : {}),
			order: context.getNodeParameter('order', index, 'desc') === 'asc' ? ('asc' as const) : ('desc' as const),
			limit: Math.min(limit ?? PAGE_LIMIT_MAX, PAGE_LIMIT_MAX),
		};
		return asItems(await collect(client.events.iterate(query, { prefetch: false }), limit));
	},
};

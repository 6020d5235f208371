import type { IDataObject, IExecuteFunctions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type { EventsyncClient } from '../../../shared/core';

/** One noun of the action node: its entry in the Resource list, its fields, and how its operations run. */
export interface Resource {
	readonly option: INodePropertyOptions;
	readonly properties: INodeProperties[];
	run(context: IExecuteFunctions, client: EventsyncClient, operation: string, index: number): Promise<IDataObject | IDataObject[] | undefined>;
}

/** Shows a field for some operations of one resource. */
export function shownFor(resource: string, operations: string[]): Pick<INodeProperties, 'displayOptions'> {
	return { displayOptions: { show: { resource: [resource], operation: operations } } };
}

/** The usual Return All / Limit pair of a list operation. */
export function returnAllAndLimit(resource: string, operations: string[]): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			...shownFor(resource, operations),
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

/** The limit to stop at, or undefined for Return All. */
export function limitOf(context: IExecuteFunctions, index: number): number | undefined {
	return context.getNodeParameter('returnAll', index, false) ? undefined : (context.getNodeParameter('limit', index, 50) as number);
}

export async function collect<T>(iterable: AsyncIterable<T>, limit: number | undefined): Promise<T[]> {
	const results: T[] = [];
	for await (const item of iterable) {
		results.push(item);
		if (limit !== undefined && results.length >= limit) break;
	}
	return results;
}

export function asItems(value: object | object[]): IDataObject | IDataObject[] {
	return value as IDataObject | IDataObject[];
}

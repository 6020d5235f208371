import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { CREDENTIAL_NAME, getClient, toNodeError } from '../../shared/client';
import { customer } from './resources/customer';
import { event } from './resources/event';
import { lead } from './resources/lead';
import { note } from './resources/note';
import { subscription } from './resources/subscription';

// One resource per noun: "Customer > Create" is where a user looks for it, and the canvas
// subtitle then reads "create: customer". Listed in the order n8n's lint wants (alphabetical).
const RESOURCES = [customer, event, lead, note, subscription];

export class Eventsync implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Eventsync',
		name: 'eventsync',
		icon: { light: 'file:../../icons/eventsync.svg', dark: 'file:../../icons/eventsync.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Create customers, leads and notes, read the events feed and manage webhook subscriptions in Eventsync',
		defaults: { name: 'Eventsync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: RESOURCES.map((resource) => resource.option),
				default: 'customer',
			},
			...RESOURCES.flatMap((resource) => resource.properties),
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];
		const { client } = await getClient(this);
		for (let index = 0; index < items.length; index++) {
			try {
				const resourceName = this.getNodeParameter('resource', index) as string;
				const operation = this.getNodeParameter('operation', index) as string;
				const resource = RESOURCES.find((candidate) => candidate.option.value === resourceName);
				const result = await resource?.run(this, client, operation, index);
				if (result === undefined) {
					throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not known for resource "${resourceName}"`, { itemIndex: index });
				}
				returnData.push(...this.helpers.constructExecutionMetaData(this.helpers.returnJsonArray(result), { itemData: { item: index } }));
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

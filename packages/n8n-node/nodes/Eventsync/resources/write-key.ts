import type { IExecuteFunctions } from 'n8n-workflow';
import type { WriteOptions } from '../../../shared/core';
import { idempotencyKeyFor } from '../../../shared/idempotency';

/** The Idempotency-Key of the write that item `index` makes (see shared/idempotency.ts). */
export function writeOptions(context: IExecuteFunctions, index: number, operation: string): WriteOptions {
	return {
		idempotencyKey: idempotencyKeyFor({
			executionId: context.getExecutionId(),
			workflowId: String(context.getWorkflow().id ?? ''),
			nodeId: context.getNode().id,
			runIndex: context.getWorkflowDataProxy(index).$runIndex,
			itemIndex: index,
			operation,
		}),
	};
}

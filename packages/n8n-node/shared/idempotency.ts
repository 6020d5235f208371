/**
 * Idempotency-Key for the action node's writes. A call n8n repeats (the node's "Retry On
 * Fail", the core's own retry after a lost answer) must not create a second record, so the
 * key names the one logical call: this execution, this node, this run of it (a loop runs a node
 * again with item indexes from 0) and this item. The API keeps keys 24 h and answers a repeated
 * key with the first result. A new execution (a manual re-run, "Retry" from the executions
 * list) is a new call and gets new keys. Hashed so that ids and names do not travel as headers.
 */
import { createHash } from 'node:crypto';

export interface WriteCall {
	readonly executionId: string;
	readonly workflowId: string;
	/** The node's id, stable across renames. */
	readonly nodeId: string;
	readonly runIndex: number;
	readonly itemIndex: number;
	/** `customer.create`, `note.create`, ...: one item may feed different writes. */
	readonly operation: string;
}

export function idempotencyKeyFor(call: WriteCall): string {
	const parts = [call.workflowId, call.executionId, call.nodeId, call.runIndex, call.itemIndex, call.operation].map(String);
	const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
	return `n8n-${call.operation.replace(/[^a-z]+/gi, '-')}-${digest.slice(0, 40)}`;
}

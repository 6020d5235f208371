/**
 * Idempotency-Key for creates. Zapier replays a step with the same bundle when it retries
 * (a ThrottledError, a replay from Zap history), so a key derived from the bundle makes that
 * replay a no-op at the API (same key within 24 h returns the first result).
 *
 * The key is a hash of the Zap id, the action and its input. Consequence, on purpose: the
 * same Zap sending the same input twice within 24 h creates one record, which for leads,
 * customers and notes is what a user means (a duplicate). Outside a Zap (editor tests,
 * no `meta.zap.id`) the key is null and the core generates a random one.
 */
import { createHash } from 'node:crypto';
import type { Bundle } from 'zapier-platform-core';

export function idempotencyKeyFor(action: string, bundle: Bundle): string | undefined {
  const zapId = (bundle.meta as { zap?: { id?: string | number } } | undefined)?.zap?.id;
  if (zapId === undefined || zapId === null || zapId === '') return undefined;
  const digest = createHash('sha256').update(canonicalJson({ zap: String(zapId), action, input: bundle.inputData ?? {} })).digest('hex');
  return `zapier-${action}-${digest.slice(0, 40)}`;
}

/** JSON with sorted keys, so the same input always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

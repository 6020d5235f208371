/**
 * Opaque cursors: base64url JSON tagged with the list they belong to, so a cursor from one
 * endpoint is refused by another instead of silently paging the wrong thing.
 */
import { PAGE_LIMIT_MAX } from '@eventsync/core';
import { invalidParameter } from './errors.js';

export function encodeCursor(list: string, payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ list, ...payload }), 'utf8').toString('base64url');
}

/** The payload, or a 400 naming `cursor` when the text is not one of ours for this list. */
export function decodeCursor(list: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  if (/^[A-Za-z0-9_-]+$/.test(text)) {
    try {
      parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || (parsed as { list?: unknown }).list !== list) {
    throw invalidParameter('cursor', 'cursor is not valid here: pass next_cursor from the previous page of this list unchanged');
  }
  return parsed as Record<string, unknown>;
}

/** `limit=` of a list endpoint: 1..PAGE_LIMIT_MAX; absent or empty gives undefined (the caller picks the default). */
export function parseLimit(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const limit = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= PAGE_LIMIT_MAX)) {
    throw invalidParameter('limit', `limit must be a whole number from 1 to ${PAGE_LIMIT_MAX}; got "${text}"`);
  }
  return limit;
}

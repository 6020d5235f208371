/**
 * A route table small enough to read: each route module returns a list of routes, the
 * server mounts them under the preset's base path.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { BucketKind, Scope } from '@eventsync/core';
import { ApiFailure } from './errors.js';
import type { ResolvedKey } from './options.js';
import type { TenantParts } from './tenant-parts.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestContext {
  readonly method: Method;
  /** Path under the base path, e.g. `/customers/cus_123`. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The authenticated key; admin routes see a placeholder. */
  readonly key: ResolvedKey;
  /** The key's tenant, whose stores the handler works on; admin routes see the first tenant and pick theirs from the path. */
  readonly tenant: TenantParts;
  readonly requestId: string;
  /** The sandbox clock at the time the request is handled. */
  readonly now: number;
  /** The JSON body, which must be an object; a 400 naming `body` otherwise. */
  body(): Record<string, unknown>;
  /** The raw body text ('' when none). */
  readonly rawBody: string;
}

export interface Reply {
  readonly status: number;
  /** Serialised with JSON.stringify... */
  readonly body?: unknown;
  /** ...unless the handler already made the JSON text (the feed builds pages from cached event JSON). */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: Method;
  /** `/customers/:id/notes`; segments starting with `:` capture. */
  readonly path: string;
  /** Scope the key must hold; omitted: any valid key. */
  readonly scope?: Scope;
  /** Honours Idempotency-Key (POST creates). */
  readonly idempotent?: boolean;
  /** Which budget it spends; default GET → read, anything else → write. */
  readonly bucket?: BucketKind;
  /** May be async (the webhook test endpoint waits for its delivery attempt). */
  readonly handle: (context: RequestContext) => Reply | Promise<Reply>;
}

export type Match =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'wrong-method'; readonly allowed: Method[] }
  | { readonly kind: 'none' };

interface Compiled {
  readonly route: Route;
  readonly segments: readonly string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(routes: readonly Route[]): this {
    for (const route of routes) this.routes.push({ route, segments: split(route.path) });
    // Literal segments beat captures: `/customers/batch` must not be read as customer "batch".
    this.routes.sort((a, b) => specificity(b.segments) - specificity(a.segments));
    return this;
  }

  match(method: string, path: string): Match {
    const segments = split(path);
    const allowed: Method[] = [];
    for (const { route, segments: pattern } of this.routes) {
      const params = matchSegments(pattern, segments);
      if (!params) continue;
      if (route.method === method) return { kind: 'found', route, params };
      if (!allowed.includes(route.method)) allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'none' };
  }
}

/** The 405 (with Allow) or 404 for a request no route took; the 404 names the base path when the request missed it. */
export function routeFailure(match: Exclude<Match, { kind: 'found' }>, method: string, pathname: string, base: string): ApiFailure {
  if (match.kind === 'wrong-method') {
    const allowed = match.allowed.join(', ');
    return new ApiFailure(405, 'method_not_allowed', `${method} is not allowed on ${pathname}; allowed: ${allowed}`, {}, { Allow: allowed });
  }
  const hint = isUnder(pathname, base) ? '' : `; this API's paths start with ${base}`;
  return new ApiFailure(404, 'not_found', `no route ${method} ${pathname}${hint}`);
}

/** `pathname` is `prefix` itself or below it. */
export function isUnder(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function specificity(segments: readonly string[]): number {
  return segments.reduce((score, segment, i) => score + (segment.startsWith(':') ? 0 : 2 ** (8 - Math.min(i, 8))), 0);
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = segments[i]!;
    if (expected.startsWith(':')) {
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

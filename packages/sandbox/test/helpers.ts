import { afterEach } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '@eventsync/sandbox';

const running: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
});

/** Starts a sandbox that is stopped after the test. */
export async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox(options);
  running.push(sandbox);
  return sandbox;
}

/** A clock the test moves by hand: rate-limit windows and commit delays without sleeping. */
export function manualClock(startMs = Date.UTC(2026, 3, 3, 9, 0, 0)) {
  const clock = {
    ms: startMs,
    now: () => clock.ms,
    advance(ms: number) {
      clock.ms += ms;
    },
  };
  return clock;
}

export interface CallOptions {
  /** Key to send in the preset's auth style; null sends none. Default the sandbox's key. */
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One request to `baseUrl + path` over a real socket. */
export async function call(sandbox: Sandbox, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? sandbox.apiKey : options.key;
  if (key !== null) {
    if (sandbox.preset.authStyle === 'bearer') headers.authorization = `Bearer ${key}`;
    else headers['x-api-key'] = key;
  }
  let body: string | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const url = path.startsWith('/_sandbox') ? `${sandbox.url}${path}` : `${sandbox.baseUrl}${path}`;
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** Every event of a listing, following next_cursor. */
export async function drain(sandbox: Sandbox, query: string): Promise<{ ids: string[]; pages: number; events: any[] }> {
  const events: any[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const answer: Answer = await call(sandbox, 'GET', `/events?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    if (answer.status !== 200) throw new Error(`page ${pages} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    events.push(...answer.body.data);
    pages++;
    cursor = answer.body.next_cursor;
  } while (cursor);
  return { ids: events.map((event) => event.id), pages, events };
}

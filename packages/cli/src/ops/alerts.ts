/**
 * `--alert-url`: a JSON POST when a condition starts and one when it clears. Conditions come
 * from the ConnectionWatch (connection-watch.ts says what raises each); this file only
 * decides when to speak: once per condition until it clears, then once "resolved".
 *
 * A failing alert endpoint never stops the sync: each alert is tried a few times in the
 * background, then given up with one line on stderr. Alert URLs often carry their own
 * secret in the path (Slack's incoming webhooks do), so messages show their origin only.
 */
import type { Condition } from './connection-watch.js';

export interface AlertDocument {
  /** The condition's name, e.g. `subscription_auto_disabled`. */
  readonly alert: string;
  readonly severity: Condition['severity'];
  /** `firing` when it starts, `resolved` when it clears. */
  readonly state: 'firing' | 'resolved';
  /** The connection, e.g. `acme@api.example.com`. */
  readonly source: string;
  readonly message: string;
  /** ISO 8601. */
  readonly at: string;
  /** One line for chat tools whose incoming webhooks show `text` (Slack, Mattermost). */
  readonly text: string;
}

export interface AlerterOptions {
  readonly url: string;
  readonly source: string;
  readonly conditions: () => readonly Condition[];
  readonly log: (line: string) => void;
  readonly now?: () => number;
  /** How often conditions are looked at. Default 1 s. */
  readonly evaluateEveryMs?: number;
  /** Sends one document; default: fetch with a timeout. Throws when the endpoint did not take it. */
  readonly send?: (url: string, document: AlertDocument) => Promise<void>;
  /** Tries per alert, and the wait between them. Default 3 tries, 2 s apart. */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
}

const SEND_TIMEOUT_MS = 5_000;
/** How long a stop waits for alerts still being sent (a "resolved" said on the way out). */
const DRAIN_ON_STOP_MS = 3_000;

export class Alerter {
  private readonly firing = new Map<string, Condition>();
  /** Alerts go out one after another, so a "resolved" never overtakes its "firing". */
  private queue: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: AlerterOptions) {}

  start(): void {
    this.timer = setInterval(() => this.evaluate(), this.options.evaluateEveryMs ?? 1_000);
    this.timer.unref();
  }

  /** Stops looking and waits a little for alerts already queued. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    let timeout: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.queue, new Promise<void>((resolve) => (timeout = setTimeout(resolve, DRAIN_ON_STOP_MS)))]);
    clearTimeout(timeout);
  }

  /** Compares what holds now with what was said: new conditions fire, vanished ones resolve. */
  evaluate(): void {
    const current = new Map(this.options.conditions().map((condition) => [condition.alert, condition]));
    for (const [name, condition] of current) {
      if (this.firing.has(name)) continue;
      this.firing.set(name, condition);
      this.enqueue(condition, 'firing');
    }
    for (const [name, condition] of this.firing) {
      if (current.has(name)) continue;
      this.firing.delete(name);
      this.enqueue(condition, 'resolved');
    }
  }

  private enqueue(condition: Condition, state: AlertDocument['state']): void {
    const message = state === 'firing' ? condition.message : `cleared (it was: ${condition.message})`;
    const document: AlertDocument = {
      alert: condition.alert,
      severity: condition.severity,
      state,
      source: this.options.source,
      message,
      at: new Date((this.options.now ?? Date.now)()).toISOString(),
      text: `[eventsync] ${state === 'firing' ? condition.severity.toUpperCase() : 'RESOLVED'} ${condition.alert} (${this.options.source}): ${message}`,
    };
    this.queue = this.queue.then(() => this.deliver(document));
  }

  private async deliver(document: AlertDocument): Promise<void> {
    const send = this.options.send ?? postJson;
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        await send(this.options.url, document);
        return;
      } catch (error) {
        if (attempt >= attempts) {
          const reason = error instanceof Error ? error.message : String(error);
          this.options.log(`could not deliver the ${document.state} alert ${document.alert} to ${new URL(this.options.url).origin} (${reason}); the sync goes on`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 2_000).unref());
      }
    }
  }
}

async function postJson(url: string, document: AlertDocument): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(document),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (error) {
    // fetch's own message names the whole URL in some versions: say what happened without it.
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new Error(timedOut ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : 'cannot connect');
  }
  await response.body?.cancel();
  if (!response.ok) throw new Error(`the endpoint answered ${response.status}`);
}

/**
 * The client a host builds once: the request pipeline plus the API's areas. Each host
 * (Node, n8n, Zapier) brings its runtime; everything above it is shared.
 */
import { ApiClient } from './client.js';
import type { ClientConfig, ResolvedConfig } from './config.js';
import { EventsFeed } from './events.js';
import { Records } from './records.js';
import { Subscriptions } from './subscriptions.js';
import type { Runtime } from './transport.js';
import type { Me } from './types.js';

export class EventsyncClient {
  readonly api: ApiClient;
  readonly events: EventsFeed;
  readonly records: Records;
  readonly subscriptions: Subscriptions;

  constructor(config: ClientConfig | ResolvedConfig, runtime: Runtime) {
    this.api = new ApiClient(config, runtime);
    this.events = new EventsFeed(this.api);
    this.records = new Records(this.api);
    this.subscriptions = new Subscriptions(this.api);
  }

  get config(): ResolvedConfig {
    return this.api.config;
  }

  /** The key and tenant behind the configured API key: the credential test. */
  me(options: { readonly maxAttempts?: number } = {}): Promise<Me> {
    return this.api.request<Me>({ method: 'GET', path: '/me', ...options });
  }
}

/**
 * One webhook receiver for every connection of `eventsync run`: a delivery to
 * `/webhooks/<connection>` is verified with that connection's secrets and committed to its
 * sink. Connections mount their endpoint when they start and unmount it when they stop (a
 * takeover by another worker, a shutdown); a delivery for a connection not mounted here is a
 * 404, which the API retries, and polling fetches it in any case.
 */
import type { WebhookIntake } from '@eventsync/core';
import { startWebhookReceiver, type WebhookReceiver } from '@eventsync/core/node';

export interface WebhookRoutesOptions {
  readonly port: number;
  /** Where the API reaches this process (a proxy or tunnel in front of the loopback receiver, as for sync); default the receiver's own URL. */
  readonly publicUrl: string | undefined;
  readonly log: (line: string) => void;
}

export class WebhookRoutes {
  private readonly intakes = new Map<string, WebhookIntake>();

  private constructor(
    private readonly receiver: WebhookReceiver,
    private readonly publicBase: string,
  ) {}

  static async start(options: WebhookRoutesOptions): Promise<WebhookRoutes> {
    let routes: WebhookRoutes | undefined;
    const receiver = await startWebhookReceiver({
      route: (name) => routes?.intakes.get(name),
      port: options.port,
      onProcessError: (error) => options.log(`a verified delivery could not be written (polling will fetch it): ${String(error)}`),
    });
    routes = new WebhookRoutes(receiver, options.publicUrl ? `${options.publicUrl.replace(/\/+$/, '')}/webhooks` : receiver.url);
    return routes;
  }

  /** The receiver's own address, e.g. http://127.0.0.1:8080/webhooks. */
  get url(): string {
    return this.receiver.url;
  }

  /** Where the API delivers `connection`'s events. */
  publicUrlOf(connection: string): string {
    return `${this.publicBase}/${connection}`;
  }

  /** Deliveries to `/webhooks/<connection>` go to `intake` until the returned endpoint is closed. */
  mount(connection: string, intake: WebhookIntake): WebhookReceiver {
    this.intakes.set(connection, intake);
    return {
      url: this.publicUrlOf(connection),
      close: async () => {
        if (this.intakes.get(connection) === intake) this.intakes.delete(connection);
      },
    };
  }

  close(): Promise<void> {
    this.intakes.clear();
    return this.receiver.close();
  }
}

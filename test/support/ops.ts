/** What the operations tests share: scraping /metrics with a real parser, waiting, and small receivers on loopback. */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

/** One scrape of /metrics, parsed by a Prometheus text-format parser. */
export class Scrape {
  private readonly families: Map<string, ParsedFamily>;

  constructor(text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  }

  static async of(origin: string): Promise<Scrape> {
    const response = await fetch(`${origin}/metrics`);
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    return new Scrape(await response.text());
  }

  has(name: string): boolean {
    return this.families.has(name);
  }

  family(name: string): ParsedFamily {
    const family = this.families.get(name);
    if (!family) throw new Error(`no ${name} in the scrape`);
    return family;
  }

  /** The sample whose labels include `labels`; undefined when there is none or it is NaN (no value yet). */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const sample = this.family(name).metrics.find((metric) => Object.entries(labels).every(([label, value]) => metric.labels?.[label] === value));
    const value = sample?.value === undefined ? Number.NaN : Number(sample.value);
    return Number.isNaN(value) ? undefined : value;
  }

  /** The sum over every sample whose labels include `labels`. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.family(name)
      .metrics.filter((metric) => Object.entries(labels).every(([label, value]) => metric.labels?.[label] === value))
      .reduce((total, metric) => total + Number(metric.value), 0);
  }

  /** A histogram's observation count, summed over its label sets. */
  count(name: string): number {
    return this.family(name).metrics.reduce((total, metric) => total + Number(metric.count ?? 0), 0);
  }
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

export interface Receiver {
  readonly url: string;
  readonly bodies: unknown[];
  close(): Promise<void>;
}

/** An HTTP endpoint on loopback that keeps each JSON body it is POSTed and answers `status`. */
export async function jsonReceiver(status = 200): Promise<Receiver> {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString() || 'null'));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/alerts/secret-path-part`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

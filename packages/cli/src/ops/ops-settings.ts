/**
 * `eventsync sync`'s flags for running it as a service (metrics and health, alerts, secret
 * rotation), checked before anything starts, like the rest of its settings (sync/settings.ts).
 * The key file is a connection setting: connection.ts reads it.
 */
import { parseDuration } from '../durations.js';
import { UsageError } from '../usage-error.js';

export interface OpsFlags {
  readonly metricsPort?: string;
  readonly metricsHost?: string;
  readonly alertUrl?: string;
  readonly alertLag?: string;
  readonly rotateSecretEvery?: string;
}

export interface OpsSettings {
  /** Serve /healthz, /readyz, /metrics and the status page here; undefined: no server. */
  readonly metrics: { readonly port: number; readonly host: string } | undefined;
  /** POST alerts here; undefined: no alerts. */
  readonly alertUrl: string | undefined;
  /** The checkpoint lag that raises an alert. */
  readonly alertLagMs: number;
  /** Rotate the webhook signing secret this often (with --listen); undefined: only on SIGHUP. */
  readonly rotateSecretEveryMs: number | undefined;
}

/** Loopback unless told otherwise: the status page and metrics are for this machine's operators. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_ALERT_LAG = '10m';

export function parseOpsSettings(flags: OpsFlags, env: NodeJS.ProcessEnv, listening: boolean): OpsSettings {
  const portText = flags.metricsPort ?? env.EVENTSYNC_METRICS_PORT;
  if (flags.metricsHost !== undefined && portText === undefined) throw new UsageError('--metrics-host goes with --metrics-port <port>');
  if (flags.rotateSecretEvery !== undefined && !listening) {
    throw new UsageError('--rotate-secret-every rotates the signing secret of the subscription that sync --listen manages: add --listen <port>');
  }
  return {
    metrics: portText === undefined ? undefined : { port: parsePort(portText), host: flags.metricsHost ?? DEFAULT_METRICS_HOST },
    alertUrl: flags.alertUrl === undefined ? undefined : parseAlertUrl(flags.alertUrl),
    alertLagMs: parseDuration(flags.alertLag ?? DEFAULT_ALERT_LAG, '--alert-lag'),
    rotateSecretEveryMs: flags.rotateSecretEvery === undefined ? undefined : parsePositiveDuration(flags.rotateSecretEvery, '--rotate-secret-every'),
  };
}

function parsePort(text: string): number {
  const port = Number(text);
  if (text.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--metrics-port (or EVENTSYNC_METRICS_PORT) takes a port number (0 picks a free one); got "${text}"`);
  }
  return port;
}

/** An alert URL often carries its own secret in the path (Slack's incoming webhooks do): messages show its origin only. */
function parseAlertUrl(text: string): string {
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) {
    throw new UsageError('--alert-url takes an http(s) URL that accepts a JSON POST, e.g. a Slack incoming webhook');
  }
  return text;
}

function parsePositiveDuration(text: string, option: string): number {
  const ms = parseDuration(text, option);
  if (ms <= 0) throw new UsageError(`${option} takes a duration above zero, e.g. 24h; got "${text}"`);
  return ms;
}

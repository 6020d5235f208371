/**
 * `eventsync status --config <file> [--coordinator postgres://...]`: a table of the config
 * file's connections as they stand: who syncs each (with a coordinator), how far behind its
 * sink is, its newest stored event, and the last error its owner reported. It reads the
 * sinks and the lease table; it never writes or locks, so it is safe beside running workers.
 */
import { loadRunConfig } from '../config/load-config.js';
import { formatSeconds } from '../status-line.js';
import { readSinkPositions, type SinkPosition } from '../status/sink-positions.js';
import { parseCoordinatorUrl } from '../run/coordinator-url.js';

export interface StatusFlags {
  readonly config: string;
  readonly coordinator?: string;
  readonly json?: boolean;
}

/** One connection's row. */
export interface ConnectionRow {
  readonly connection: string;
  /** The worker holding its lease; null when free; undefined without a coordinator. */
  readonly owner?: string | null;
  /** False when the owner's lease has expired (the worker stopped renewing it). */
  readonly ownerLive?: boolean;
  /** Now (this machine's clock) minus the watermark, in seconds; null before the first commit. */
  readonly lagSeconds: number | null;
  readonly lastEvent: string | null;
  readonly error: string | null;
}

export async function runStatus(flags: StatusFlags, io: { env: NodeJS.ProcessEnv; stdout: NodeJS.WritableStream }): Promise<void> {
  const coordinator = parseCoordinatorUrl(flags.coordinator);
  const config = await loadRunConfig(flags.config, io.env);
  const positions = await readSinkPositions(config.connections);
  const leases = coordinator === undefined ? undefined : await readLeases(coordinator);
  const now = Date.now();
  const rows: ConnectionRow[] = config.connections.map(({ name }) => {
    const position = positions.get(name);
    const lease = leases?.get(name);
    const readable = position instanceof Error ? undefined : position;
    return {
      connection: name,
      ...(leases ? { owner: lease?.owner ?? null, ownerLive: lease?.liveOwner ?? false } : {}),
      lagSeconds: lagSeconds(readable, now),
      lastEvent: readable?.newest ?? null,
      error: position instanceof Error ? `sink unreadable: ${position.message}` : (lease?.lastError ?? null),
    };
  });
  io.stdout.write(flags.json ? `${rows.map((row) => JSON.stringify(row)).join('\n')}\n` : table(rows, leases !== undefined));
}

async function readLeases(url: string): Promise<Map<string, { owner: string | null; liveOwner: boolean; lastError: string | null }>> {
  const { PostgresLeases } = await import('@eventsync/core/node');
  const rows = await PostgresLeases.inspect({ url });
  return new Map(rows.map((row) => [row.connection, row]));
}

function lagSeconds(position: SinkPosition | undefined, now: number): number | null {
  if (!position?.watermark) return null;
  return Math.max(0, (now - Date.parse(position.watermark)) / 1000);
}

function table(rows: readonly ConnectionRow[], withOwner: boolean): string {
  const header = ['CONNECTION', ...(withOwner ? ['OWNER'] : []), 'LAG', 'LAST EVENT', 'ERROR'];
  const cells = rows.map((row) => [
    row.connection,
    ...(withOwner ? [row.owner ? `${row.owner}${row.ownerLive ? '' : ' (expired)'}` : '-'] : []),
    row.lagSeconds === null ? '-' : formatSeconds(row.lagSeconds * 1000),
    row.lastEvent ?? '-',
    row.error ?? '-',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column]!.length)));
  const line = (cell: readonly string[]): string => cell.map((text, column) => (column === cell.length - 1 ? text : text.padEnd(widths[column]!))).join('  ');
  const failing = rows.filter((row) => row.error !== null).length;
  const footer = `${rows.length} connections${withOwner ? `, ${new Set(rows.map((row) => row.owner).filter(Boolean)).size} workers` : ''}${failing ? `, ${failing} with errors` : ''}`;
  return `${[line(header), ...cells.map(line)].join('\n')}\n${footer}\n`;
}

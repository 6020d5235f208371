/**
 * The connections file `eventsync sandbox --write-config <file>` writes: one connection per
 * tenant of the sandbox, keys inline (so the file is mode 0600), in the version 1 format the
 * config loader reads (docs/config-file.md). Written through the `yaml` library the loader
 * reads it with, so any sink or key comes back as the same string.
 */
import { replaceFileAtomically } from '@eventsync/core/node';
import { Document, Scalar, type YAMLMap, type YAMLSeq } from 'yaml';

export interface SandboxConfig {
  /** The command that wrote it, for the header comment. */
  readonly command: string;
  /** The sandbox's origin, e.g. http://127.0.0.1:4010. */
  readonly baseUrl: string;
  readonly preset: string;
  /** `defaults.sink`; `{connection}` stands for each connection's name. */
  readonly sink: string;
  readonly connections: ReadonlyArray<{ readonly name: string; readonly apiKey: string }>;
}

/** Where each connection's events go unless `--sink` says otherwise. */
export const DEFAULT_SANDBOX_SINK = 'file:./events/{connection}.ndjson';

export function sandboxConfigText(config: SandboxConfig): string {
  const document = new Document({
    version: 1,
    defaults: { sink: config.sink },
    connections: config.connections.map(({ name, apiKey }) => ({ name, baseUrl: config.baseUrl, preset: config.preset, apiKey })),
  });
  document.commentBefore = ` written by \`${config.command}\`; keys are the sandbox's test keys`;
  // Keys double-quoted, so a reader sees at a glance where each one starts and ends.
  const connections = document.get('connections') as YAMLSeq<YAMLMap<string, unknown>>;
  for (const connection of connections.items) (connection.get('apiKey', true) as Scalar).type = Scalar.QUOTE_DOUBLE;
  return document.toString({ lineWidth: 0 });
}

/** Writes the file whole or not at all, mode 0600 (it holds keys). */
export async function writeSandboxConfig(path: string, config: SandboxConfig): Promise<void> {
  await replaceFileAtomically(path, sandboxConfigText(config));
}

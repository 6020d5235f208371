/**
 * The connections file `eventsync sandbox --write-config <file>` writes: one connection per
 * tenant of the sandbox, keys inline (so the file is mode 0600), in the agreed version 1
 * format the config loader reads (defaults.sink; connections[] with name, baseUrl, preset,
 * apiKey).
 *
 * Written by hand rather than through a YAML library: the shape is fixed and small, and each
 * value is either plainly safe (a letter first, then only characters that cannot start a
 * comment, a mapping or a flow collection) or written as a JSON string, which YAML reads as
 * a double-quoted scalar meaning the same string. Keys are always quoted.
 */
import { replaceFileAtomically } from '@eventsync/core/node';

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
  const lines = [
    `# written by \`${config.command}\`; keys are the sandbox's test keys`,
    'version: 1',
    'defaults:',
    `  sink: ${scalar(config.sink)}`,
    'connections:',
  ];
  const preset = scalar(config.preset);
  for (const { name, apiKey } of config.connections) {
    lines.push(
      `  - name: ${scalar(name)}`,
      `    baseUrl: ${scalar(config.baseUrl)}`,
      `    preset: ${preset.padEnd(11)}        # the sandbox's preset`,
      `    apiKey: ${JSON.stringify(apiKey)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the file whole or not at all, mode 0600 (it holds keys). */
export async function writeSandboxConfig(path: string, config: SandboxConfig): Promise<void> {
  await replaceFileAtomically(path, sandboxConfigText(config));
}

/** Words YAML 1.1 or 1.2 would read as a boolean or null rather than a string. */
const SPECIAL_WORDS = /^(?:null|true|false|yes|no|on|off|y|n)$/i;
/** A letter first (so never a number, an indicator or a quote), then no space, `#`, `,`, `[`, `]`, quotes or `&*!|>%`, and no `:` last (a key). */
const PLAIN_SAFE = /^[A-Za-z][A-Za-z0-9._/:{}@+=?~-]*(?<!:)$/;

/** The value plain when YAML reads it back as the same string, else as a double-quoted (JSON) string. */
function scalar(value: string): string {
  return PLAIN_SAFE.test(value) && !SPECIAL_WORDS.test(value) ? value : JSON.stringify(value);
}

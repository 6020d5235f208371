/**
 * The API key read from a file (`--api-key-file`, `EVENTSYNC_API_KEY_FILE`), the way secret
 * managers and mounted secrets hand keys over, so a key can be rotated under a running sync:
 * the file is read again whenever it changes, and once more after a 401 (the client asks,
 * through its runtime's `refreshApiKey`), in case the change has not been noticed yet.
 *
 * The file is watched by polling its status rather than with fs.watch: a mounted secret is
 * replaced by renaming a new file over the old one (or by swapping a symlink), which a watch
 * on the old file never reports. The key itself never reaches a message: only its last four.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { checkApiKey, ConfigError, keyHint } from '@eventsync/core';
import { UsageError } from '../usage-error.js';

/** How often the file's status is compared: a rotation is picked up within about this long. */
const POLL_MS = 500;

/** The key in the file: surrounding white space (a trailing newline) is not part of it. */
export function readKeyFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : `could not read it (${code ?? String(error)})`;
    throw new UsageError(`the API key file ${path}: ${why}`);
  }
  const key = text.trim();
  try {
    checkApiKey(key);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`the API key file ${path}: ${error.message}`);
    throw error;
  }
  return key;
}

export interface KeyFileWatchOptions {
  /** The key the client was built with. */
  readonly current: string;
  /** A different, well-formed key is in the file now. */
  readonly onKey: (key: string) => void;
  /** The file changed but holds no usable key: the current one is kept. */
  readonly onProblem: (message: string) => void;
}

export class KeyFileWatch {
  private current: string;
  private lastProblem: string | undefined;

  constructor(
    readonly path: string,
    private readonly options: KeyFileWatchOptions,
  ) {
    this.current = options.current;
  }

  start(): void {
    watchFile(this.path, { interval: POLL_MS, persistent: false }, this.onChange);
  }

  stop(): void {
    unwatchFile(this.path, this.onChange);
  }

  /** Reads the file now; returns the key in use afterwards (the file's, when it holds a usable one). */
  check(): string {
    let key: string;
    try {
      key = readKeyFile(this.path);
    } catch (error) {
      const message = `${error instanceof Error ? error.message : String(error)}; keeping the key ${keyHint(this.current)}`;
      // A file being rewritten can be seen empty for a moment: say so once, not on every poll.
      if (message !== this.lastProblem) this.options.onProblem(message);
      this.lastProblem = message;
      return this.current;
    }
    this.lastProblem = undefined;
    if (key !== this.current) {
      this.current = key;
      this.options.onKey(key);
    }
    return this.current;
  }

  private readonly onChange = (now: Stats, before: Stats): void => {
    if (now.mtimeMs === before.mtimeMs && now.ino === before.ino && now.size === before.size) return;
    this.check();
  };
}

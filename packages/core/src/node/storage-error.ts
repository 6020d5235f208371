/** A file system failure as one line a user can act on: which file, what went wrong, what happens next. */
import { StorageError } from '../errors.js';

/** What each errno means in words, for the ones a sync meets in practice. */
export const CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'an I/O error on the device',
  EFBIG: 'the file is larger than the file system allows',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this machine',
};

/** Wraps a failed write of `file`; `doing` completes "could not ..." (e.g. "write events to"). */
export function storageError(file: string, doing: string, thrown: unknown): StorageError {
  if (thrown instanceof StorageError) return thrown;
  const code = (thrown as NodeJS.ErrnoException | undefined)?.code;
  const cause = (code && CAUSES[code]) ?? (thrown instanceof Error ? thrown.message : String(thrown));
  return new StorageError(
    `could not ${doing} ${file}: ${cause}${code ? ` (${code})` : ''}. Nothing past the last checkpoint was kept; fix that and run again to resume.`,
    file,
    code,
  );
}

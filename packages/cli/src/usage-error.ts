/** The user asked for something that cannot work as written; the message says how to fix it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

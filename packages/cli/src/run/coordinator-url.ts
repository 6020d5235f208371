/** `--coordinator` of `run` and `status`: the Postgres database the workers share, checked before anything starts. */
import { UsageError } from '../usage-error.js';

export function parseCoordinatorUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const scheme = text.slice(0, Math.max(0, text.indexOf(':'))).toLowerCase();
  if ((scheme === 'postgres' || scheme === 'postgresql') && URL.canParse(text)) return text;
  // Never the value itself: a password may be anywhere in it.
  const given = text.trim() === '' ? 'an empty one (an unset variable?)' : scheme === '' ? 'something that is not a URL' : `a "${scheme}:" URL`;
  throw new UsageError(`--coordinator takes the postgres://user:password@host/database URL of the database the workers share; got ${given}`);
}

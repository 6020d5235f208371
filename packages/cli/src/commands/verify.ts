/**
 * `eventsync verify`: checks a captured delivery (raw HTTP: headers, a blank line, the body
 * bytes) against a secret and says why it fails. The secret comes from an environment
 * variable, never from a flag that would land in shell history.
 */
import { getPreset, SIGNATURE_DEFAULTS, SIGNATURE_SCHEMES, SignatureError, verifyWebhook, type SignatureScheme } from '@eventsync/core';
import { UsageError } from '../usage-error.js';

export interface VerifyFlags {
  readonly secretEnv: string;
  readonly previousSecretEnv?: string;
  readonly preset?: string;
  readonly scheme?: string;
  /** Unix seconds to judge the timestamp against: a capture is verified long after it arrived. */
  readonly at?: string;
}

export interface VerifyIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
}

export class InvalidSignature extends Error {
  override readonly name = 'InvalidSignature';
}

/** The schemes core signs and verifies, read from its table of their standard settings. */

export async function runVerify(flags: VerifyFlags, io: VerifyIO): Promise<void> {
  const secret = io.env[flags.secretEnv];
  if (!secret) throw new UsageError(`the environment variable ${flags.secretEnv} is not set; put the subscription's signing secret in it`);
  const previous = flags.previousSecretEnv ? io.env[flags.previousSecretEnv] : undefined;
  if (flags.scheme && !SIGNATURE_SCHEMES.includes(flags.scheme as SignatureScheme)) {
    throw new UsageError(`--scheme is one of ${SIGNATURE_SCHEMES.join(', ')}; got "${flags.scheme}"`);
  }
  const presetSettings = getPreset(flags.preset).signature;
  const settings = flags.scheme && flags.scheme !== presetSettings.scheme ? SIGNATURE_DEFAULTS[flags.scheme as SignatureScheme] : presetSettings;
  const now = flags.at ? Number(flags.at) * 1000 : Date.now();
  if (!Number.isFinite(now)) throw new UsageError(`--at takes unix seconds; got "${flags.at}"`);

  const { headers, body } = parseCapture(await readAll(io.stdin));
  try {
    const result = verifyWebhook({ settings, rawBody: body, headers, secrets: previous ? [secret, previous] : [secret], now });
    const which = result.secretIndex === 0 ? 'the secret' : 'the previous secret';
    io.stdout.write(
      `valid: ${settings.scheme} signature in ${settings.signatureHeader} matches ${which} over ${body.length} body bytes` +
        `${result.deliveryId ? `; delivery ${result.deliveryId}` : ''}${result.timestamp ? `, signed ${Math.round(now / 1000 - result.timestamp)} s ago` : ''}\n`,
    );
  } catch (error) {
    if (error instanceof SignatureError) throw new InvalidSignature(`invalid (${error.reason}): ${error.message}`);
    throw error;
  }
}

/** Headers up to the first blank line (a request line before them is skipped), then the body bytes untouched. */
export function parseCapture(raw: Buffer): { headers: Record<string, string>; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const [end, gap] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
  if (end < 0) throw new UsageError('the capture needs headers, a blank line, then the body exactly as received');
  const headers: Record<string, string> = {};
  for (const line of raw.subarray(0, end).toString('utf8').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[A-Z]+ \S+ HTTP\//.test(line)) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.subarray(end + gap) };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/**
 * Verifications per second for each scheme on a 1 KB body, against a bare
 * `createHmac` + `timingSafeEqual` loop over the same bytes in the same run. The core also
 * parses headers, checks the replay window and decodes the signature. Target: >= 0.8 for a
 * prepared verifier (what a receiver keeps). Also reported: the one-off `verifyWebhook`
 * (prepares the key every call) and `check` of a bad signature against a good one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createVerifier, deliveryHeaders, SIGNATURE_DEFAULTS, verifyWebhook, type SignatureScheme } from '@eventsync/core';
import { median, verdict } from './support.ts';

const ITERATIONS = 100_000;
const ROUNDS = 5;
const SECRET = 'whsec_' + Buffer.from('benchmark-secret-0123456789abcdef').toString('base64');
const BODY = Buffer.from(JSON.stringify({ id: 'evt_bench', type: 'customer.created', created_at: new Date(0).toISOString(), data: { pad: 'x'.repeat(900) } }));

function perSecond(task: () => void): number {
  const start = performance.now();
  for (let i = 0; i < ITERATIONS; i++) task();
  return ITERATIONS / ((performance.now() - start) / 1000);
}

export async function run(): Promise<void> {
  console.log(`\n## Signature verification: ${BODY.length}-byte body, ${ITERATIONS.toLocaleString('en-US')} per round, median of ${ROUNDS} rounds`);
  for (const scheme of ['timestamped', 'body', 'standard-webhooks'] as SignatureScheme[]) {
    const settings = SIGNATURE_DEFAULTS[scheme];
    const now = Date.now();
    const timestamp = Math.floor(now / 1000);
    const headers = Object.fromEntries(
      Object.entries(deliveryHeaders(settings, { secrets: [SECRET], body: BODY, timestamp, id: 'msg_bench', eventType: 'customer.created' })).map(
        ([name, value]) => [name.toLowerCase(), value],
      ),
    );
    const key = scheme === 'standard-webhooks' ? Buffer.from(SECRET.slice(6), 'base64') : SECRET;
    const prefix = scheme === 'timestamped' ? `${timestamp}.` : scheme === 'standard-webhooks' ? `msg_bench.${timestamp}.` : '';
    const expected = createHmac('sha256', key).update(prefix).update(BODY).digest();
    const bare = (): void => {
      const digest = createHmac('sha256', key).update(prefix).update(BODY).digest();
      if (!timingSafeEqual(digest, expected)) throw new Error('bare loop mismatch');
    };
    const verifier = createVerifier(settings, [SECRET]);
    const core = (): void => void verifier.verify({ rawBody: BODY, headers, now });
    const oneOff = (): void => void verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now });
    const forged = { ...headers, [settings.signatureHeader.toLowerCase()]: String(headers[settings.signatureHeader.toLowerCase()]).replace(/.(.)$/, '0$1') };
    const invalid = (): void => {
      if (verifier.check({ rawBody: BODY, headers: forged, now }).ok) throw new Error('a forged signature verified');
    };
    const rates = { bare: [] as number[], core: [] as number[], oneOff: [] as number[], invalid: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      rates.bare.push(perSecond(bare));
      rates.core.push(perSecond(core));
      rates.oneOff.push(perSecond(oneOff));
      rates.invalid.push(perSecond(invalid));
    }
    const rate = (values: number[]): string => `${Math.round(median(values)).toLocaleString('en-US')}/s`;
    const ratio = median(rates.core) / median(rates.bare);
    console.log(
      `${scheme.padEnd(18)} prepared verifier ${rate(rates.core)}, bare HMAC ${rate(rates.bare)}, ratio ${ratio.toFixed(3)} (target >= 0.8: ${verdict(ratio >= 0.8)}); ` +
        `one-off verifyWebhook ${rate(rates.oneOff)} (${(median(rates.oneOff) / median(rates.bare)).toFixed(3)}); ` +
        `bad signature via check ${rate(rates.invalid)} (${(median(rates.invalid) / median(rates.core)).toFixed(2)}x a good one's rate)`,
    );
  }
}

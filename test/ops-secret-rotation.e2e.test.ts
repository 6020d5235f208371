/**
 * Signing secrets rotated under a steady stream of deliveries: by `sync --listen` itself
 * (--rotate-secret-every, SIGHUP, `subscriptions rotate <its id>`) and by `subscriptions
 * rotate` for a handler someone else runs.
 */
import http from 'node:http';
import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createVerifier, keyHint, PRESETS } from '@eventsync/core';
import { createNodeClient } from '@eventsync/core/node';
import { startSandbox } from '@eventsync/sandbox';
import { duplicates, idsInFile, runCli, startCli, tempDir } from './support/cli.js';
import { waitFor } from './support/ops.js';

/** The sandbox runs without rate limits here; the sync's limiter is told so. */
const UNLIMITED = 'read:100000/1m,write:100000/1m';
/** A second key of the sandbox's tenant, for the test's own look at the subscriptions while the sync's key is revoked. */
const WATCHING_KEY = 'wlcro_test_watching0key0for0rotation0Xp4';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function steadySandbox() {
  const sandbox = await startSandbox({ seed: 61, visibilityLagMs: 200, backlog: { count: 20, spanMs: 60_000 }, generator: { ratePerSecond: 40 }, policies: false, webhooks: { timeScale: 0.001 } });
  cleanups.push(() => sandbox.stop());
  return sandbox;
}

describe('secret rotation', () => {
  it('sync --listen rotates on a timer, on SIGHUP and on `subscriptions rotate`: every event once, no 401 for either secret', async () => {
    const sandbox = await steadySandbox();
    const dir = await tempDir('ops-rotation');
    const env = { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey };
    const sync = startCli(
      ['sync', '--listen', '0', '--rotate-secret-every', '3s', '--health-interval', '500ms', '--poll-interval', '1s', '--lookback', '1s', '--no-status', '--rate-limit', UNLIMITED, '--data-dir', dir],
      env,
    );
    cleanups.push(() => sync.kill('SIGKILL'));
    const savedId = async (): Promise<string | undefined> =>
      readFile(join(dir, 'state', 'subscription.json'), 'utf8').then((text) => (JSON.parse(text) as { id: string; previous?: unknown }).previous ? undefined : (JSON.parse(text) as { id: string }).id, () => undefined);
    const first = await waitFor('the subscription', savedId);
    await waitFor('deliveries', () => sandbox.deliveries.some((delivery) => delivery.ok));

    sync.kill('SIGHUP');
    const second = await waitFor('the SIGHUP rotation', async () => ((await savedId()) ?? first) !== first && (await savedId()), 20_000);
    await waitFor('a timed rotation', async () => ((await savedId()) ?? second) !== second, 20_000);
    const current = await waitFor('a settled subscription', savedId);
    const rotated = await runCli(['subscriptions', 'rotate', current, '--data-dir', dir, '--wait', '30s'], env);
    expect(rotated.stdout, rotated.stderr).toContain(`rotated ${current} -> `);
    expect(rotated.code).toBe(0);

    sandbox.stopGenerator();
    const sink = join(dir, 'events.ndjson');
    await waitFor('every event in the sink', async () => (await idsInFile(sink)).length >= sandbox.eventIds().length, 30_000);
    sync.kill('SIGTERM');
    const result = await sync.result;
    expect(result.code).toBe(0);

    const ids = await idsInFile(sink);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sandbox.eventIds()));
    // Nothing was refused, whichever secret signed it...
    expect(sandbox.deliveries.filter((delivery) => delivery.status === 401)).toEqual([]);
    // ...and no rotation left a gap in the stream: the new subscription's deliveries took over
    // where the old one's ended (at 40 events a second, within a fraction of a second).
    const accepted = sandbox.deliveries.filter((delivery) => delivery.ok);
    const subscriptions = [...new Set(accepted.map((delivery) => delivery.subscription_id))];
    expect(subscriptions.length).toBeGreaterThanOrEqual(4);
    for (const [index, id] of subscriptions.slice(1).entries()) {
      const old = subscriptions[index]!;
      const firstOfNew = Math.min(...accepted.filter((delivery) => delivery.subscription_id === id).map((delivery) => delivery.at));
      const lastOfOld = Math.max(...accepted.filter((delivery) => delivery.subscription_id === old).map((delivery) => delivery.at));
      expect(firstOfNew - lastOfOld).toBeLessThan(1_000);
    }
    expect(result.stderr.match(/secret rotation done/g)?.length).toBeGreaterThanOrEqual(3);
    expect(result.stderr).not.toMatch(/whsec_/);
  }, 120_000);

  it('SIGHUPs while the state lock exists, start-up and shutdown included, never end sync --listen: it stops with code 0 and deletes its subscription', async () => {
    const sandbox = await steadySandbox();
    const dir = await tempDir('ops-hangups');
    const env = { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey };
    const sync = startCli(['sync', '--listen', '0', '--health-interval', '500ms', '--poll-interval', '1s', '--no-status', '--rate-limit', UNLIMITED, '--data-dir', dir], env);
    cleanups.push(() => sync.kill('SIGKILL'));
    // `subscriptions rotate` signals whoever holds this lock, so a SIGHUP may come at any moment
    // while it exists. Not after: once Node tears the process down, no listener can catch one.
    const lock = join(dir, 'state', 'lock');
    const locked = (): Promise<boolean> => access(lock).then(() => true, () => false);
    await waitFor('the state lock', locked, 20_000, 2);
    let hangingUp = true;
    const hangUps = (async () => {
      while (hangingUp && sync.exitCode === null && sync.signalCode === null && (await locked())) {
        sync.kill('SIGHUP');
        await sleep(25);
      }
    })();
    await waitFor('a rotation', () => {
      if (sync.exitCode !== null || sync.signalCode !== null) throw new Error(`the sync ended (${sync.signalCode ?? sync.exitCode}) while starting: ${sync.stderrSoFar()}`);
      return /secret rotation done/.test(sync.stderrSoFar());
    }, 30_000);
    sync.kill('SIGTERM');
    const result = await sync.result;
    hangingUp = false;
    await hangUps;
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    expect((await createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey }).subscriptions.list()).data).toEqual([]);
  }, 60_000);

  it("subscriptions rotate <a running sync's id>: a rotation the sync cannot do is reported at once with its reason and changes nothing; the next one is not mistaken for it", async () => {
    const sandbox = await startSandbox({ seed: 62, visibilityLagMs: 200, policies: false, webhooks: { timeScale: 0.001 }, keys: [{ key: WATCHING_KEY, name: 'the test' }] });
    cleanups.push(() => sandbox.stop());
    const dir = await tempDir('ops-rotation-fails');
    const keyFile = join(dir, 'api-key');
    await writeFile(keyFile, `${sandbox.apiKey}\n`, { mode: 0o600 });
    // With a key file, a refused key is waited out: the sync keeps running (and its lock) while the key is revoked.
    const sync = startCli(['sync', '--listen', '0', '--api-key-file', keyFile, '--health-interval', '500ms', '--poll-interval', '1s', '--no-status', '--rate-limit', UNLIMITED, '--data-dir', dir], {
      EVENTSYNC_BASE_URL: sandbox.url,
    });
    cleanups.push(() => sync.kill('SIGKILL'));
    const savedFile = join(dir, 'state', 'subscription.json');
    const savedId = (): Promise<string | undefined> => readFile(savedFile, 'utf8').then((text) => (JSON.parse(text) as { id: string }).id, () => undefined);
    const subscription = await waitFor('the subscription', savedId, 20_000);

    // The rotation's first request is refused. Waiting out --wait (10 minutes) would outlast this test.
    sandbox.revokeKey(sandbox.apiKey);
    const rotated = await runCli(['subscriptions', 'rotate', subscription, '--data-dir', dir, '--wait', '10m'], {});
    expect(rotated.code, rotated.stderr).toBe(9);
    expect(rotated.stderr).toContain(`could not rotate ${subscription} (`);
    expect(rotated.stderr).toContain('401');
    expect(rotated.stderr).toContain(keyHint(sandbox.apiKey));
    expect(rotated.stderr).toContain('nothing changed');
    expect(rotated.stderr).not.toMatch(/unexpected error/);
    const note = await readFile(join(dir, 'state', 'rotation-failure.json'), 'utf8');
    const secret = (JSON.parse(await readFile(savedFile, 'utf8')) as { secret: string }).secret;
    for (const text of [rotated.stderr, note]) {
      expect(text).not.toContain(sandbox.apiKey);
      expect(text).not.toContain(secret);
    }
    expect(await savedId()).toBe(subscription);
    const watching = createNodeClient({ baseUrl: sandbox.url, apiKey: WATCHING_KEY });
    expect((await watching.subscriptions.list()).data.map((each) => each.id)).toEqual([subscription]);

    // A valid key again: the next rotation works, and the earlier failure's note is not taken for it.
    await writeFile(`${keyFile}.new`, `${WATCHING_KEY}\n`, { mode: 0o600 });
    await rename(`${keyFile}.new`, keyFile);
    await waitFor('the new key', () => sync.stderrSoFar().includes(`now the key ending ${keyHint(WATCHING_KEY)}`), 10_000);
    // Its test delivery held a second, so that the command looks several times while the rotation runs.
    sandbox.setWebhookFaults({ delayMs: 1_000 });
    const again = await runCli(['subscriptions', 'rotate', subscription, '--data-dir', dir, '--wait', '30s'], {});
    expect(again.code, again.stderr).toBe(0);
    const next = await savedId();
    expect(again.stdout).toContain(`rotated ${subscription} -> ${next}`);
    expect((await watching.subscriptions.list()).data.map((each) => each.id)).toEqual([next]);
    expect(sync.exitCode).toBeNull();
  }, 60_000);

  it('subscriptions rotate <id> for another handler: prints the new secret, waits until the handler accepts it, then deletes the old subscription', async () => {
    const sandbox = await steadySandbox();
    const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:100000/1m', write: 'write:100000/1m' } });
    cleanups.push(() => client.close());
    // A handler that verifies with the secrets it has been given; the test adds the new one when the command prints it.
    const secrets: string[] = [];
    let refusedAfterUpdate = 0;
    let updated = false;
    const received = new Set<string>();
    const handler = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const verdict = createVerifier(PRESETS.integration.signature, secrets).check({ rawBody: body, headers: req.headers, now: Date.now() });
        if (!verdict.ok) {
          if (updated) refusedAfterUpdate++;
          return void res.writeHead(401).end();
        }
        received.add((JSON.parse(body.toString()) as { id: string }).id);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => handler.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => (handler.closeAllConnections(), handler.close(resolve))));
    const created = await client.subscriptions.create({ url: `http://127.0.0.1:${(handler.address() as { port: number }).port}/hook`, events: ['*'] });
    secrets.push(created.secret);
    await waitFor('deliveries to the handler', () => received.size > 20);

    const dir = await tempDir('ops-rotate-other');
    const command = startCli(['subscriptions', 'rotate', created.id, '--data-dir', dir, '--wait', '60s'], { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey });
    let stdout = '';
    command.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const newSecret = await waitFor('the new secret', () => /signing secret: (whsec_\S+)/.exec(stdout)?.[1], 20_000);
    secrets.unshift(newSecret);
    updated = true;
    const result = await command.result;
    expect(result.code, result.stderr).toBe(0);
    const newId = /rotated \S+ -> (\S+)/.exec(stdout)![1]!;
    expect((await client.subscriptions.list()).data.map((subscription) => subscription.id)).toEqual([newId]);
    expect((await client.subscriptions.get(newId)).active).toBe(true);

    const before = received.size;
    await waitFor('deliveries on the new subscription', () => received.size > before + 20);
    expect(refusedAfterUpdate).toBe(0);
    expect(sandbox.deliveries.filter((delivery) => delivery.subscription_id === newId && delivery.ok).length).toBeGreaterThan(0);
    expect(result.stderr).not.toContain(newSecret);
  }, 90_000);
});

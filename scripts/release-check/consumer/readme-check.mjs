// Runs the first ```js block of the installed @eventsync/core README, as published, against a
// sandbox: the poll must write every event exactly once, and its webhook handler must take a
// signed delivery and refuse a tampered one.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deliveryHeaders, getPreset } from '@eventsync/core';
import { startSandbox } from '@eventsync/sandbox';

const project = fileURLToPath(new URL('.', import.meta.url));
const readme = await readFile(join(project, 'node_modules/@eventsync/core/README.md'), 'utf8');
const code = readme.match(/```js\n([\s\S]*?)```/)?.[1];
assert.ok(code, 'the README has no ```js example');
// Inside the project, so that its imports resolve to the installed packages.
const example = join(project, `readme-example-${process.version}.mjs`);
await writeFile(example, code);

const box = await startSandbox({ backlog: { count: 300, spanMs: 3_600_000 }, generator: false, policies: false, visibilityLagMs: 0 });
const secret = 'whsec_release_check';
Object.assign(process.env, { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey, EVENTSYNC_WEBHOOK_SECRET: secret });
// Its files (events.ndjson, state/) go in the project too, which the release check removes.
const workDir = join(project, `readme-run-${process.version}`);
await mkdir(workDir, { recursive: true });
process.chdir(workDir);
try {
  const { onDelivery } = await import(pathToFileURL(example).href);
  const ids = (await readFile('events.ndjson', 'utf8')).trim().split('\n').map((line) => JSON.parse(line).id);
  assert.equal(new Set(ids).size, ids.length, 'an event was written twice');
  assert.deepEqual(new Set(ids), new Set(box.eventIds()));

  const event = box.events()[0];
  const body = Buffer.from(JSON.stringify(event));
  const signed = deliveryHeaders(getPreset().signature, { secrets: [secret], body, timestamp: Math.floor(Date.now() / 1000), id: 'del_check', eventType: event.type });
  // As Node's http module hands them over: lower-case names.
  const headers = Object.fromEntries(Object.entries(signed).map(([name, value]) => [name.toLowerCase(), value]));
  assert.deepEqual(onDelivery(body, headers), { status: 200, event });
  assert.equal(onDelivery(Buffer.from(JSON.stringify({ ...event, id: 'evt_forged' })), headers).status, 401);
  console.log(`README example: ${ids.length} events written once each; a signed delivery taken, a tampered one refused`);
} finally {
  await box.stop();
}

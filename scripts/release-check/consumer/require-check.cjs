// require() of the ES-module-only packages (Node 20.19+ and 22.12+), used for real against a
// sandbox; one module instance whichever way it is loaded.
const assert = require('node:assert/strict');
const core = require('@eventsync/core');
const { createNodeClient } = require('@eventsync/core/node');
const { startSandbox } = require('@eventsync/sandbox');

async function main() {
  const esm = await import('@eventsync/core');
  assert.equal(esm.ConfigError, core.ConfigError, 'require and import gave two copies of the module');
  const box = await startSandbox({ backlog: { count: 20, spanMs: 60_000 }, generator: false, policies: false });
  const client = createNodeClient({ baseUrl: box.url, apiKey: box.apiKey });
  try {
    const newest = await client.events.latest(5);
    assert.equal(newest.length, 5);
    assert.ok(core.isEventType(newest[0].type), `unexpected event type ${newest[0].type}`);
  } finally {
    client.close();
    await box.stop();
  }
  console.log('require: entry points load and read a sandbox; import shares the same module');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

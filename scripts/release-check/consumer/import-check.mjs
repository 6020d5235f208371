// Run in a project holding only the @eventsync/core and @eventsync/sandbox tarballs: the
// library's entry points load as ES modules, and ioredis (an optional peer, not installed
// here) is needed only when a shared limiter is asked for.
import assert from 'node:assert/strict';
import * as core from '@eventsync/core';
import * as node from '@eventsync/core/node';
import * as sandbox from '@eventsync/sandbox';

const expected = [
  [core, ['EventsyncClient', 'EventsFeed', 'CheckpointTracker', 'SyncEngine', 'pollOnce', 'Records', 'Subscriptions', 'verifyWebhook', 'signWebhook', 'ConfigError']],
  [node, ['createNodeClient', 'RollingWindowLimiter', 'RedisRateLog', 'NdjsonFileStorage', 'OutputStorage', 'startWebhookReceiver', 'stoppableSleep']],
  [sandbox, ['startSandbox']],
];
for (const [module, names] of expected) for (const name of names) assert.equal(typeof module[name], 'function', `${name} is not exported`);

await assert.rejects(import('ioredis'), undefined, 'ioredis should not be installed in this project');
const config = { baseUrl: 'http://127.0.0.1:9', apiKey: 'wlcro_test_release_check' };
node.createNodeClient(config).close();
assert.throws(
  () => node.createNodeClient(config, { sharedLimiterUrl: 'redis://127.0.0.1:6379' }),
  (error) => error instanceof core.ConfigError && error.message.includes('`npm install ioredis`'),
);
console.log('import: entry points load; without ioredis only the shared limiter is refused, saying npm install ioredis');

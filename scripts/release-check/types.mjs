/**
 * TypeScript consumers of the packed library, under each module setting the core README names:
 * ES module and CommonJS files on nodenext, ES modules on node16, and the older node10 and the
 * bundler resolutions, which must find the `@eventsync/core/node` types too (typesVersions).
 * Declarations are checked as well (no skipLibCheck): they must not need ioredis's types.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './run.mjs';

const CONSUMER = `import { ConfigError, SyncEngine, verifyWebhook, type EventEnvelope, type EventStorage } from '@eventsync/core';
import { createNodeClient, NdjsonFileStorage, stoppableSleep, type NodeClient } from '@eventsync/core/node';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';

export async function check(box: Sandbox): Promise<EventEnvelope[]> {
  const client: NodeClient = createNodeClient({ baseUrl: box.url, apiKey: box.apiKey });
  const storage: EventStorage = new NdjsonFileStorage({ path: 'events.ndjson', stateDir: 'state' });
  const engine = await SyncEngine.open({ feed: client.events, storage, now: Date.now, sleep: stoppableSleep });
  await engine.drainUntil(Date.now());
  verifyWebhook({ settings: client.config.signature, rawBody: Buffer.from('{}'), headers: {}, secrets: 'secret' });
  if (new ConfigError('example', 'baseUrl').setting !== 'baseUrl') throw new Error('unreachable');
  return client.events.latest(1);
}
export const start: typeof startSandbox = startSandbox;
`;

/** Each case: the compiler options that differ, and the files compiled under them. */
const CASES = {
  nodenext: { options: { module: 'nodenext' }, files: ['consumer.mts', 'consumer.cts'] },
  node16: { options: { module: 'node16' }, files: ['consumer.mts'] },
  node10: { options: { module: 'commonjs', moduleResolution: 'node10' }, files: ['consumer.ts'] },
  bundler: { options: { module: 'preserve', moduleResolution: 'bundler' }, files: ['consumer.ts'] },
};

/** Type-checks the consumer in `project` (where the tarballs are installed) with the repository's TypeScript. */
export async function checkTypes(root, project) {
  const dir = join(project, 'types');
  await mkdir(dir, { recursive: true });
  for (const file of ['consumer.mts', 'consumer.cts', 'consumer.ts']) await writeFile(join(dir, file), CONSUMER);
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  for (const [name, { options, files }] of Object.entries(CASES)) {
    const compilerOptions = {
      ...options,
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
    };
    const config = join(dir, `tsconfig.${name}.json`);
    await writeFile(config, JSON.stringify({ compilerOptions, files }, null, 2));
    await run(process.execPath, [tsc, '-p', config], { cwd: dir });
  }
  return Object.keys(CASES);
}

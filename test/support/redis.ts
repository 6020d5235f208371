/** A throwaway redis-server on a free loopback port, for the tests of the shared rate limiter. */
import { spawn } from 'node:child_process';
import { freePort } from './ports.js';

export interface RedisServer {
  /** e.g. redis://127.0.0.1:41234 */
  readonly url: string;
  stop(): void;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  // .ci/run installs redis-server (scripts/ensure-redis.sh); a machine without it fails here, loudly.
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    redis.once('error', reject);
    redis.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => void redis.kill('SIGTERM') };
}

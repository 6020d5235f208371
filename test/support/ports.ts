/** Loopback ports for servers a test starts itself. */
import { createServer } from 'node:net';

/** A port free right now, so a process restarted on it is reached at the same address. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

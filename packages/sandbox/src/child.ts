/**
 * Process entry for benchmarks and end-to-end tests:
 *   node packages/sandbox/dist/child.js '<json SandboxOptions>'
 * Prints one JSON line { url, baseUrl, apiKey } once listening (with `tenants`, also
 * `tenants: [{ slug, apiKey }]`); stops on SIGTERM/SIGINT.
 */
import { startSandbox, type SandboxOptions } from './index.js';

async function main(): Promise<void> {
  const text = process.argv[2];
  let options: SandboxOptions = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      options = JSON.parse(text) as SandboxOptions;
    } catch (error) {
      throw new Error(`the argument must be JSON sandbox options: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const sandbox = await startSandbox(options);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sandbox.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Spawned with an IPC channel, the sandbox also goes when its parent does.
  process.on('disconnect', stop);
  const info = { url: sandbox.url, baseUrl: sandbox.baseUrl, apiKey: sandbox.apiKey };
  const tenants = options.tenants === undefined ? {} : { tenants: sandbox.tenants.map(({ slug, apiKey }) => ({ slug, apiKey })) };
  process.stdout.write(`${JSON.stringify({ ...info, ...tenants })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

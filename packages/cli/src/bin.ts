#!/usr/bin/env node
/** Process entry: signals and the exit code. Everything else is in program.ts. */
import { EXIT } from './exit-codes.js';
import { main } from './program.js';

let interrupts = 0;
const stopRequested = new Promise<void>((resolve) => {
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\neventsync: stopping after the page in hand is saved (Ctrl-C again to quit at once)\n');
      resolve();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
});

const code = await main(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stopRequested,
});
process.exitCode = code;

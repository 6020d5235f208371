#!/usr/bin/env node
/** Process entry: V8's settings, signals and the exit code. Everything else is in program.ts. */
// First, so that V8 is set up before anything else loads (ES modules run in import order).
import './apply-v8-settings.js';
import { EXIT } from './exit-codes.js';
import { main } from './program.js';

let release: () => void = () => undefined;
const stopped = new Promise<void>((resolve) => (release = resolve));
/** What the running command does on the first signal, once it has said; until then a signal ends the process. */
let notice: string | undefined;
let interrupts = 0;
const onSignal = (): void => {
  interrupts++;
  if (interrupts === 1 && notice !== undefined) {
    process.stderr.write(`\neventsync: ${notice} (Ctrl-C again to quit at once)\n`);
    release();
  } else {
    process.exit(EXIT.interrupted);
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stopRequested: (whatHappens) => {
    notice = whatHappens;
    return stopped;
  },
});
process.exitCode = code;

/**
 * A state directory holds the checkpoint of one output. Another output's would skip this
 * one's history (its watermark), as when two syncs writing to different places share the
 * default state directory, so each file storage records its output in the checkpoint and
 * refuses one written for another.
 */
import { InvalidInputError } from '../errors.js';

/** `recorded`: the output the checkpoint names; undefined when it names none (written before outputs were recorded). */
export function refuseOthersCheckpoint(stateDir: string, recorded: string | undefined, mine: string): void {
  if (recorded === undefined || recorded === mine) return;
  throw new InvalidInputError(
    `the checkpoint in ${stateDir} is that of ${recorded}, not of ${mine}: each output needs a state directory of its own; give this one another, or write to ${recorded} again`,
    'stateDir',
  );
}

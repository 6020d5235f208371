/**
 * A sync's failed secret rotation, noted beside its subscription file. `eventsync
 * subscriptions rotate` asks a running sync to rotate and waits: a rotation that worked shows
 * in subscription.json, one that failed shows here, so the command says why at once instead
 * of waiting out its --wait.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFileAtomically } from '@eventsync/core/node';

export interface RotationFailure {
  /** The subscription whose secret was to change; it and its secret stay in use. */
  readonly subscription: string;
  /** When it failed, by this machine's clock (the command compares it with when it signalled). */
  readonly at: number;
  /** The error's message, which never holds a secret. */
  readonly reason: string;
}

const fileIn = (stateDir: string): string => join(stateDir, 'rotation-failure.json');

export function saveRotationFailure(stateDir: string, failure: RotationFailure): Promise<void> {
  return replaceFileAtomically(fileIn(stateDir), JSON.stringify(failure));
}

/** Undefined when there is none, or it cannot be read: the waiting command then falls back on its --wait. */
export async function loadRotationFailure(stateDir: string): Promise<RotationFailure | undefined> {
  try {
    return JSON.parse(await readFile(fileIn(stateDir), 'utf8')) as RotationFailure;
  } catch {
    return undefined;
  }
}

/**
 * A sync's failed secret rotation, noted beside its subscription file. `eventsync
 * subscriptions rotate` asks a running sync to rotate and waits: a rotation that worked shows
 * in subscription.json, one that failed shows here, so the command says why at once instead
 * of waiting out its --wait.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFileAtomically } from '@eventsync/core/node';

export interface RotationFailure {
  /** The subscription whose secret was to change. */
  readonly subscription: string;
  /**
   * The subscription the sync uses now: the same one when the rotation was undone (nothing
   * changed), the new one when it failed after the switch (deleting the old one, say).
   */
  readonly inUse: string;
  /** The error's message; the API client's errors show a key by its last four characters only. */
  readonly reason: string;
  /** When, for a person reading the file. */
  readonly at: string;
}

const fileIn = (stateDir: string): string => join(stateDir, 'rotation-failure.json');

export function saveRotationFailure(stateDir: string, failure: RotationFailure): Promise<void> {
  return replaceFileAtomically(fileIn(stateDir), JSON.stringify(failure));
}

/** Before asking for a rotation: a note found afterwards is then about it, whatever the clock did meanwhile. */
export async function clearRotationFailure(stateDir: string): Promise<void> {
  await rm(fileIn(stateDir), { force: true });
}

/** Undefined when there is none, or it cannot be read: the waiting command then falls back on its --wait. */
export async function loadRotationFailure(stateDir: string): Promise<RotationFailure | undefined> {
  try {
    return JSON.parse(await readFile(fileIn(stateDir), 'utf8')) as RotationFailure;
  } catch {
    return undefined;
  }
}

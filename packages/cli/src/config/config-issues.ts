/**
 * zod's findings in a config file as problems a reader can act on: values shown as the file
 * wrote them (masked), missing settings with what to put there, and a misspelt setting with
 * the one it most likely meant, or where it belongs when it is in the wrong mapping.
 */
import type { z } from 'zod';
import { describeKind, showValue, type PathProblem, type SettingPath } from './config-errors.js';
import { SETTINGS, type SettingsPlace } from './config-schema.js';

/** What to write when a required setting is missing, by its key. */
const MISSING: Readonly<Record<string, string>> = {
  connections: 'missing: list the connections, each with a name, a baseUrl and its key',
  name: "missing: each connection needs a name (e.g. acme): it is the sink's source and the webhook path",
  port: 'missing: the port to listen on (0 picks a free one)',
  url: 'missing: the URL to POST alerts to',
};

const EXPECTED: Readonly<Record<string, string>> = { object: 'a mapping of settings', array: 'a list' };

export function describeIssues(issues: readonly z.core.$ZodIssue[], original: unknown): PathProblem[] {
  return issues.flatMap((issue): PathProblem[] => {
    const at = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
    const value = valueAt(original, at);
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => ({ at: [...at, key], message: `unknown setting${hintFor(key, placeOf(at))}` }));
      case 'invalid_type': {
        const key = at.at(-1);
        if (value === undefined) return [{ at, message: (typeof key === 'string' && MISSING[key]) || 'missing' }];
        const listHint = issue.expected === 'array' && key === 'connections' ? ': write each connection as a list item, starting with "- name: ..."' : '';
        return [{ at, message: `expected ${EXPECTED[issue.expected] ?? issue.expected}; got ${describeKind(value)}${listHint}` }];
      }
      default:
        return [{ at, message: issue.message.split('{value}').join(showValue(value)) }];
    }
  });
}

/** The value at a path in the file as written, or undefined. */
export function valueAt(root: unknown, at: SettingPath): unknown {
  let value = root;
  for (const part of at) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

function placeOf(at: SettingPath): SettingsPlace {
  if (at.length === 0) return 'top';
  if (at[0] === 'connections') return 'connection';
  return (['defaults', 'listen', 'metrics', 'alerts'] as const).find((place) => place === at[0]) ?? 'top';
}

function hintFor(key: string, place: SettingsPlace): string {
  const known: readonly string[] = SETTINGS[place];
  const near = closest(key, known);
  if (near) return ` (did you mean ${near}?)`;
  const elsewhere = whereItGoes(key, place);
  if (elsewhere) return ` (${elsewhere})`;
  return `; the settings here are ${known.join(', ')}`;
}

function whereItGoes(key: string, place: SettingsPlace): string | undefined {
  const inTop = SETTINGS.top.includes(key);
  const inDefaults = SETTINGS.defaults.includes(key);
  const inConnection = SETTINGS.connection.includes(key);
  if (place !== 'top' && inTop) return 'it goes at the top level of the file';
  if (key === 'stateDir') return "it goes in defaults: each connection's state is kept in <stateDir>/<name>";
  if (place === 'top' && inDefaults) return 'it goes in defaults, or in a connection';
  if (place !== 'connection' && inConnection) return 'it goes in each connection';
  return undefined;
}

/** The known setting this key most likely meant: the same but for case, or a letter or two off. */
function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const same = known.find((name) => name.toLowerCase() === lower);
  if (same) return same;
  const allowed = key.length < 5 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= allowed && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

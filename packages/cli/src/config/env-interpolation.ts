/**
 * `${NAME}` in any string of the file becomes the environment variable NAME, so one file can
 * serve several machines and keep passwords out of it (`postgres://app:${PGPASSWORD}@db/events`).
 * `$${` stands for a literal `${`. An unset variable is a problem at the setting that uses it;
 * the variable's value is never shown (it is often the secret the reference keeps out of the
 * file), which is why messages show values as the file wrote them (config-issues.ts).
 */
import type { PathProblem, SettingPath } from './config-errors.js';

const REFERENCE = /\$(\$?)\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Interpolation {
  readonly value: unknown;
  readonly problems: PathProblem[];
}

export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv): Interpolation {
  const problems: PathProblem[] = [];
  const walk = (node: unknown, at: SettingPath): unknown => {
    if (typeof node === 'string') return interpolateText(node, env, (message) => problems.push({ at, message }));
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...at, index]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...at, key])]));
    }
    return node;
  };
  return { value: walk(value, []), problems };
}

/** The variables a string refers to, for telling where its value came from. */
export function referencedVariables(text: string): string[] {
  return [...text.matchAll(REFERENCE)].filter((match) => match[1] === '').map((match) => match[2]!);
}

function interpolateText(text: string, env: NodeJS.ProcessEnv, problem: (message: string) => void): string {
  return text.replace(REFERENCE, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    if (!VARIABLE_NAME.test(name)) {
      problem(`\${${name}} is not a reference to an environment variable: write \${NAME} with letters, digits and underscores (or $\${ for a literal \${)`);
      return '';
    }
    const found = env[name];
    if (found === undefined) {
      problem(`the environment variable ${name} is not set (used as \${${name}})`);
      return '';
    }
    return found;
  });
}

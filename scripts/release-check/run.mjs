/** Runs a command to completion; anything but exit 0 (or a hang past the timeout) throws with its output. */
import { spawn } from 'node:child_process';

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number }} [options]
 * @returns {Promise<{ stdout: string, stderr: string }>}
 */
export function run(command, args, { cwd, env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      const how = signal === 'SIGKILL' ? `did not finish within ${timeoutMs / 1000} s` : `exited with ${code ?? signal}`;
      reject(new Error(`${[command, ...args].join(' ')} ${how}${cwd ? ` (in ${cwd})` : ''}\n${tail(stdout, 'stdout')}${tail(stderr, 'stderr')}`));
    });
  });
}

function tail(text, name) {
  if (!text.trim()) return '';
  const lines = text.trimEnd().split('\n');
  return `--- ${name}${lines.length > 40 ? ` (last 40 of ${lines.length} lines)` : ''}\n${lines.slice(-40).join('\n')}\n`;
}

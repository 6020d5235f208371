/**
 * heap-probe.cjs from the side of the benchmark that starts the measured process: the
 * environment that loads it, and what it wrote as that process exited.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const HEAP_PROBE = fileURLToPath(new URL('./heap-probe.cjs', import.meta.url));

/** What heap-probe.cjs writes (its header says what each figure is). */
export interface HeapProbe {
  readonly peakRssKb: number;
  readonly youngGenerationBytes: number;
  readonly liveHeapBytes: number;
  readonly cpuMs: number;
}

/** Environment variables that make a node process write its probe to `out` as it exits. */
export function heapProbeEnv(out: string): Record<string, string> {
  return {
    EVENTSYNC_HEAP_PROBE: out,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--expose-gc', `--require ${HEAP_PROBE}`].filter(Boolean).join(' '),
  };
}

export async function readHeapProbe(out: string): Promise<HeapProbe> {
  return JSON.parse(await readFile(out, 'utf8')) as HeapProbe;
}

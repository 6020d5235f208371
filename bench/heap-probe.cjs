// Benchmark instrumentation, preloaded (with --expose-gc) into the measured process. As the
// process exits it writes to $EVENTSYNC_HEAP_PROBE, as JSON:
// - peakRssKb: the kernel's high-water mark of this process's resident memory (VmHWM), read
//   before the collection below so the probe's own work is not counted. It covers this
//   process only: not the benchmark that spawned it (ru_maxrss can carry that across exec)
//   nor the sandbox, which runs in a process of its own;
// - youngGenerationBytes: what V8 has made of its young generation (it grows it with use);
// - liveHeapBytes: the heap still in use after a full GC: flat across backlogs means nothing
//   accumulates per event;
// - cpuMs: the CPU time of the whole process (every thread: the JIT's and the collector's too).
const { readFileSync, writeFileSync } = require('node:fs');
const { getHeapSpaceStatistics } = require('node:v8');

process.on('exit', () => {
  const out = process.env.EVENTSYNC_HEAP_PROBE;
  if (!out || typeof global.gc !== 'function') return;
  const peakRssKb = Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  const { user, system } = process.cpuUsage();
  const youngGenerationBytes = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  global.gc();
  const liveHeapBytes = process.memoryUsage().heapUsed;
  writeFileSync(out, JSON.stringify({ peakRssKb, youngGenerationBytes, liveHeapBytes, cpuMs: (user + system) / 1000 }));
});

// Benchmark instrumentation, preloaded with --expose-gc into the measured process: on exit,
// a full GC, then the heap still in use is written to $EVENTSYNC_HEAP_PROBE. It tells a
// leak (live heap grows with the backlog) from V8 merely sizing its heap lazily.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  if (typeof global.gc !== 'function' || !process.env.EVENTSYNC_HEAP_PROBE) return;
  global.gc();
  writeFileSync(process.env.EVENTSYNC_HEAP_PROBE, String(process.memoryUsage().heapUsed));
});

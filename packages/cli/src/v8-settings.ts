/**
 * How eventsync sets V8 up for its work (applied by apply-v8-settings.ts, bin.ts's first
 * import). A sync streams pages through: each is garbage once committed, and the heap that
 * lives on is small and flat. V8's defaults suit the opposite and cost memory that grows with
 * the length of a run (README, "Memory"), for a little less CPU:
 *
 * - its young generation doubles whenever the bytes that survived its collections add up to
 *   its size. A stream always has a page in flight when a collection runs, so a long enough
 *   run doubles it, 16 to 32 MiB; kept at the size start-up gave it, it collects twice as
 *   often, each collection copying the same page or two;
 * - Maglev, V8's mid-tier compiler, compiles the per-request path (the HTTP client's ~80
 *   functions) all at once after a few hundred requests: ~17 MiB at the peak. Without it hot
 *   functions go from the baseline compiler straight to TurboFan, as on Node 20.
 *
 * A setting the node command line or NODE_OPTIONS names already is the user's to make, and
 * left as it is: `node --maglev $(which eventsync) sync` keeps Maglev.
 */
const SETTINGS: ReadonlyArray<{ readonly flag: string; readonly unlessNamed: RegExp }> = [
  { flag: '--semi-space-growth-factor=1', unlessNamed: /semi[-_]space/ },
  { flag: '--no-maglev', unlessNamed: /maglev/ },
];

/** The V8 flags to set, given the node command line and NODE_OPTIONS. */
export function v8Settings(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const named = [...execArgv, nodeOptions ?? ''].join(' ');
  return SETTINGS.filter(({ unlessNamed }) => !unlessNamed.test(named)).map(({ flag }) => flag);
}

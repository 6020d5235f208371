/**
 * Seeded randomness. Every random choice the sandbox makes (ids, event data, commit delays,
 * fault draws) comes from here, so a seed reproduces a run. Each concern gets its own
 * stream: turning faults on must not change which event ids a seed produces.
 */

/** mulberry32: tiny, fast, and good enough for test data (not for secrets). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** A wait drawn from a fault knob: none, a fixed number of ms, or uniform in [min, max]. */
  duration(spec: number | readonly [number, number] | undefined): number {
    if (spec === undefined) return 0;
    if (!Array.isArray(spec)) return spec as number;
    const [min, max] = spec as readonly [number, number];
    return min === max ? min : min + this.next() * (max - min);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** True with probability `rate`; draws nothing for 0 and 1 so that those stay exact. */
  chance(rate: number): boolean {
    if (rate <= 0) return false;
    if (rate >= 1) return true;
    return this.next() < rate;
  }
}

/** Derives independent stream seeds from one user seed (FNV-1a over the label). */
export function streamSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(random: Random, length: number): string {
  const chars: string[] = [];
  for (let i = 0; i < length; i++) chars.push(BASE62[random.below(62)]!);
  return chars.join('');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CROCKFORD_CODES = Array.from(CROCKFORD, (char) => char.charCodeAt(0));
const codes = new Array<number>(26);
let lastMs = -1;

/**
 * A ULID: 10 characters of millisecond time then 16 of randomness, Crockford base32. The
 * time prefix makes ids sort like their creation time, which the feed's (created_at, id)
 * order relies on. Built from char codes in one go: `+=` per character would leave a rope
 * of 26 string nodes per id, which costs a 200k-event backlog hundreds of megabytes.
 */
export function ulid(ms: number, random: Random): string {
  if (ms !== lastMs) {
    lastMs = ms;
    let rest = Math.max(0, Math.floor(ms));
    for (let i = 9; i >= 0; i--) {
      codes[i] = CROCKFORD_CODES[rest % 32]!;
      rest = Math.floor(rest / 32);
    }
  }
  // Three 32-bit draws, 80 bits used, 5 per character.
  let a = random.uint32();
  let b = random.uint32();
  const c = random.uint32();
  for (let i = 10; i < 16; i++, a >>>= 5) codes[i] = CROCKFORD_CODES[a & 31]!;
  for (let i = 16; i < 22; i++, b >>>= 5) codes[i] = CROCKFORD_CODES[b & 31]!;
  for (let i = 22; i < 26; i++) codes[i] = CROCKFORD_CODES[(c >>> ((i - 22) * 5)) & 31]!;
  return String.fromCharCode.apply(null, codes);
}

/**
 * ULIDs that keep creation order within one millisecond: the second id of a millisecond is
 * the first plus one. Two writes in a row then appear in the feed in the order they were
 * made, as they would from a single-writer API, and the store only ever appends them.
 */
export class MonotonicUlid {
  private lastMs = -1;
  private last = '';

  constructor(private readonly random: Random) {}

  next(ms: number): string {
    if (ms === this.lastMs && this.last !== '') {
      const bumped = increment(this.last);
      if (bumped !== undefined) {
        this.last = bumped;
        return bumped;
      }
    }
    this.lastMs = ms;
    this.last = ulid(ms, this.random);
    return this.last;
  }
}

/** The id plus one in its random part, or undefined when that part is all Z (then draw afresh). */
function increment(id: string): string | undefined {
  for (let i = id.length - 1; i >= 10; i--) {
    const digit = CROCKFORD.indexOf(id[i]!);
    if (digit < 31) return id.slice(0, i) + CROCKFORD[digit + 1]! + '0'.repeat(id.length - 1 - i);
  }
  return undefined;
}

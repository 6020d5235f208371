/** Which V8 settings eventsync makes, and that one the user names is left to the user. */
import { describe, expect, it } from 'vitest';
import { v8Settings } from '../src/v8-settings.js';

describe('v8Settings', () => {
  it('keeps the young generation at its start-up size and leaves Maglev out by default', () => {
    expect(v8Settings([], undefined)).toEqual(['--semi-space-growth-factor=1', '--no-maglev']);
  });

  it('leaves Maglev to a node command line that names it', () => {
    expect(v8Settings(['--maglev'], undefined)).toEqual(['--semi-space-growth-factor=1']);
    expect(v8Settings(['--max_maglev_inlined_bytecode_size=100'], '')).toEqual(['--semi-space-growth-factor=1']);
  });

  it('leaves the young generation to NODE_OPTIONS or a command line that sizes it', () => {
    expect(v8Settings([], '--max-semi-space-size=64 --enable-source-maps')).toEqual(['--no-maglev']);
    expect(v8Settings(['--semi-space-growth-factor=2', '--maglev'], undefined)).toEqual([]);
  });

  it('is not confused by flags about other things', () => {
    expect(v8Settings(['--enable-source-maps', '--max-old-space-size=256'], '--trace-warnings')).toEqual([
      '--semi-space-growth-factor=1',
      '--no-maglev',
    ]);
  });
});

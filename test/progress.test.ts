/**
 * The progress line: what it says (the search's name and estimated size when known), and when
 * it is written at all (a terminal, not CI, searches past a second), and cleared.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressLine, progressReporter } from '../src/cli/progress';

const figures = { states: 437_627, transitions: 4_000_000, depth: 11, queue: 159_099, elapsedMs: 1_000 };

/** A stream that records what is written to it. */
function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => { written.push(s); return true; } } as unknown as NodeJS.WriteStream };
}

afterEach(() => vi.unstubAllEnvs());

describe('progress line', () => {
  it('gives states, rate, depth and queue; the name and the estimated size when known', () => {
    expect(progressLine(figures)).toBe('  states 437,627  437,627/s  depth 11  queue 159,099');
    expect(progressLine({ ...figures, elapsedMs: 2_000 }, 'v7 (1/2)', 14_530_000))
      .toBe('  v7 (1/2): states 437,627 of ~15 million (estimated)  218,814/s  depth 11  queue 159,099');
    expect(progressLine(figures, '', 1_279_730_021)).toContain('states 437,627 of ~1.3 billion (estimated)');
    // A search that outgrows its estimate does not read as "N of" something smaller than N.
    expect(progressLine(figures, '', 400_000)).toContain('states 437,627 (past the 400,000 estimated)  ');
    expect(progressLine(figures, '', 437_627)).toContain('states 437,627 of 437,627 (estimated)');
  });

  it('is written on a terminal outside CI, for searches past a second, and cleared at the end', () => {
    vi.stubEnv('CI', '');
    const { written, stream } = fakeStream(true);
    const p = progressReporter(stream);
    p.onProgress!({ ...figures, elapsedMs: 999 });
    expect(written).toEqual([]);
    p.label('lu-owner-param (2/2)', 17_300_759);
    p.onProgress!(figures);
    expect(written).toEqual([`\r\x1b[K${progressLine(figures, 'lu-owner-param (2/2)', 17_300_759)}`]);
    p.done();
    expect(written[1]).toBe('\r\x1b[K');
  });

  it('is never written to a pipe or in CI, and clears nothing it did not write', () => {
    vi.stubEnv('CI', '');
    expect(progressReporter(fakeStream(false).stream).onProgress).toBeUndefined();
    vi.stubEnv('CI', 'true');
    const { written, stream } = fakeStream(true);
    const p = progressReporter(stream);
    expect(p.onProgress).toBeUndefined();
    p.done();
    expect(written).toEqual([]);
  });
});

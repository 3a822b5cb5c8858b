/**
 * docs/comparison.md is the output of `dmaown compare --devices 3 --format md`; this test
 * regenerates it in-process and fails when the committed file is stale (a design, invariant or
 * scenario changed without regenerating it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareOutput } from '../src/cli/compareCommand';

const DOC = join(__dirname, '..', 'docs', 'comparison.md');
const REGENERATE = 'npm run build && node bin/dmaown.js compare --devices 3 --format md > docs/comparison.md';

describe('docs/comparison.md', () => {
  it('is what dmaown compare --devices 3 --format md prints now', async () => {
    const { text, code } = await compareOutput(['--devices', '3', '--format', 'md']);
    expect(code).toBe(0);
    const doc = readFileSync(DOC, 'utf8');
    if (doc !== text) {
      // A short message rather than a diff of the whole file.
      const a = doc.split('\n');
      const b = text.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      const at = i < 0 ? a.length : i;
      expect.fail(`docs/comparison.md is stale (first difference at line ${at + 1}: ${JSON.stringify((b[at] ?? '(end of output)').slice(0, 100))}); regenerate it with: ${REGENERATE}`);
    }
    expect(doc).toBe(text);
  });
});

describe('docs/compare.md', () => {
  it("shows real output of compare --devices 1 --design v7 --format json (with the '...' elision)", async () => {
    const md = readFileSync(join(__dirname, '..', 'docs', 'compare.md'), 'utf8');
    const block = /```json\n([\s\S]*?)\n```/.exec(md);
    expect(block, 'docs/compare.md has a ```json example').not.toBeNull();
    const shown = JSON.parse(block![1]);
    const real = JSON.parse((await compareOutput(['--devices', '1', '--design', 'v7', '--format', 'json'])).text);
    const stale = 'the example in docs/compare.md is stale: paste the output of dmaown compare --devices 1 --design v7 --format json, eliding violated invariants but the first';
    // Only violated invariants may be elided (their counterexamples are long), and the '...'
    // line names exactly those.
    const elided = Object.keys(real.designs.v7.invariants).filter((k) => !(k in shown.designs.v7.invariants));
    for (const k of elided) expect(real.designs.v7.invariants[k].verdict, `${stale} (${k} is not in it)`).toBe('violated');
    expect(String(shown.designs.v7.invariants['...'] ?? '')).toContain(`(${elided.join(', ')}: violated`);
    delete shown.designs.v7.invariants['...'];
    for (const k of elided) delete real.designs.v7.invariants[k];
    expect(shown, stale).toEqual(real);
  });
});

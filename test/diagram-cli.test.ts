/** `dmaown diagram` as a user runs it (in-process): formats, --out, one-line errors. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main';
import { checkDesign } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';

const dir = mkdtempSync(join(tmpdir(), 'dmaown-diagram-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('dmaown diagram', () => {
  it('prints the statechart in mermaid by default, dot on request, svg to a file', async () => {
    const m = await run(['diagram', '--design', 'v7']);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/^stateDiagram-v2\n/);
    const d = await run(['diagram', '--design', 'v7', '--format', 'dot', '--self-loops', 'all']);
    expect(d.out).toMatch(/^digraph "v7 group statechart" \{/);
    expect(d.out).toContain('bind_driver [bind:driver_managed_dma]');
    const svg = join(dir, 'v7.svg');
    const s = await run(['diagram', '--design', 'v7', '--format', 'svg', '--out', svg]);
    expect([s.code, s.out]).toEqual([0, '']);
    expect(readFileSync(svg, 'utf8')).toMatch(/<svg[\s>]/);
  });

  it('--reachable and --sequence', async () => {
    const r = await run(['diagram', '--design', 'v7', '--reachable', '--devices', '2', '--format', 'dot']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('shortest no-mixed-dma counterexample (5 calls) highlighted');
    const q = await run(['diagram', '--design', 'v7', '--sequence', '--devices', '2', '--invariant', 'viability']);
    expect(q.code).toBe(0);
    expect(q.out).toContain('KD->>IO: 2. attach_device(domain=priv, dev=0)');
  });

  it('--invariant on a bound too large to search whole: its counterexample is looked for in the first states', async () => {
    // v7 at 8 devices is about 1.5 billion states. A shortest no-mixed-dma counterexample there
    // takes as many calls as at 4 devices (the whole search there): a shorter one touches at most
    // 4 devices, and the devices are interchangeable.
    const v7 = (await loadDesigns()).find((d) => d.name === 'v7')!;
    const at4 = checkDesign(v7, 4, (await loadInvariants()).filter((i) => i.name === 'no-mixed-dma')).verdicts[0];
    expect(at4.verdict).toBe('violated');
    const q = await run(['diagram', '--design', 'v7', '--sequence', '--devices', '8', '--invariant', 'no-mixed-dma']);
    expect(q.code).toBe(0);
    expect(q.out.match(/->>IO: \d+\. /g)?.length).toBe(at4.verdict === 'violated' ? at4.counterexample.length : NaN);
    // viability is decided by its first stuck state, a few calls deep too: drawn the same way.
    const stuck = await run(['diagram', '--design', 'v7', '--sequence', '--devices', '8', '--invariant', 'viability']);
    expect(stuck.code).toBe(0);
    expect(stuck.out.match(/->>IO: \d+\. /g)?.length).toBeGreaterThan(0);
    // Every invariant (some hold, which needs every state): refused by estimate, as before.
    const r = await run(['diagram', '--design', 'v7', '--sequence', '--devices', '8']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^dmaown: diagram: too large for the memory budget .* by estimate: v7 at 8 devices: about 1\.\d billion states/);
  });

  it('bad input: one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['diagram'], /--design NAME is needed/],
      [['diagram', '--design', 'nope'], /unknown design 'nope'/],
      [['diagram', '--design', 'v7', '--format', 'png'], /--format must be one of mermaid, dot, svg/],
      [['diagram', '--design', 'v7', '--reachable', '--devices', '3'], /more than the 150 a diagram can show readably/],
      [['diagram', '--design', 'v7', '--depth', '3'], /--depth goes with --reachable/],
      [['diagram', '--design', 'v7', '--sequence', '--invariant', 'owned-isolation', '--devices', '2'], /owned-isolation is not violated by v7 at 2 devices/],
      [['diagram', '--design', 'v7', '--sequence', '--format', 'svg'], /--sequence is drawn in mermaid only/],
      // Said without a search: singleton at 8 devices would otherwise take minutes.
      [['diagram', '--design', 'singleton', '--sequence', '--invariant', 'refcount-balance', '--devices', '8'], /refcount-balance is not applicable to singleton at 8 devices: no counterexample to draw/],
      [['diagram', '--update-docs', '--design', 'v7'], /--update-docs takes only --check/],
      // lu-owner-param has 750,953 states at 3 devices: past the statechart's walk.
      [['diagram', '--design', 'lu-owner-param', '--devices', '3'], /the statechart of lu-owner-param at 3 devices would walk more than 200,000 reachable states, the most it walks; pass a smaller --devices/],
    ];
    for (const [args, msg] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^dmaown: [^\n]*\n$/);
      expect(r.err).toMatch(msg);
    }
  });
});

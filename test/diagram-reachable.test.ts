/**
 * The reachable state graph (src/diagram/reachableGraph.ts): the size cap, the marked states,
 * the highlighted counterexample; and the counterexample as a Mermaid sequence diagram.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { design as v7 } from '../machines/v7';
import { InputError } from '../src/errors';
import { checkDesign } from '../src/iommu/checkDesign';
import type { Invariant } from '../src/iommu/invariant';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { reachableDot } from '../src/diagram/reachableDot';
import { reachableGraph, REACHABLE_MAX_STATES } from '../src/diagram/reachableGraph';
import { reachableMermaid } from '../src/diagram/reachableMermaid';
import { sequenceMermaid } from '../src/diagram/sequenceMermaid';

let invariants: Invariant[];
beforeAll(async () => {
  invariants = await loadInvariants();
});

describe('reachable graph of v7 at 2 devices', () => {
  it('highlights the first violated invariant (no-mixed-dma) and shows states within its 5 calls', () => {
    const g = reachableGraph(v7, 2, invariants);
    expect(g.highlighted).toMatchObject({ name: 'no-mixed-dma', verdict: 'violated', pathLength: 5 });
    expect(g.depth).toBe(5);
    expect(g.whole).toBe(false);
    expect(g.nodes.length).toBeLessThanOrEqual(REACHABLE_MAX_STATES);
    expect(Math.max(...g.nodes.map((n) => n.depth))).toBe(5);
    const path = g.edges.filter((e) => e.pathStep >= 0).sort((a, b) => a.pathStep - b.pathStep);
    expect(path.map((e) => e.event.type)).toEqual(['probe_device', 'bind_driver', 'bind_driver', 'probe_device', 'claim']);
    for (let i = 1; i < path.length; i++) expect(path[i].src).toBe(path[i - 1].dst);
    const end = g.nodes[g.pathEnd];
    expect(end.broken).toContain('no-mixed-dma');
    expect(end.state).toBe('user-owned');
    // Every marked state really breaks what it says; the start breaks nothing.
    expect(g.nodes[0].broken).toEqual([]);
    for (const n of g.nodes) for (const name of n.broken) {
      const inv = invariants.find((i) => i.name === name)!;
      expect(inv.kind === 'always' && !inv.holds(n.context, { design: v7, state: n.state })).toBe(true);
    }
    // Only calls one step deeper are drawn, besides the path.
    for (const e of g.edges) if (e.pathStep < 0) expect(g.nodes[e.dst].depth).toBe(g.nodes[e.src].depth + 1);
  });

  it('draws the path in DOT and Mermaid, deterministically', () => {
    const g = reachableGraph(v7, 2, invariants, { invariant: 'no-warn' });
    const dot = reachableDot(v7, g);
    expect(dot).toContain('2: unbind_driver(dev=0) WARN');
    expect(dot).toContain('shortest no-warn counterexample (3 calls) highlighted');
    expect(reachableDot(v7, reachableGraph(v7, 2, invariants, { invariant: 'no-warn' }))).toBe(dot);
    const m = reachableMermaid(v7, g);
    expect(m).toMatch(/^---\ntitle: "v7 at 2 devices: .*"\n---\nflowchart LR\n/);
    expect(m).toContain('==>|"2. unbind_driver(dev=0) WARN"|');
    expect(m).toMatch(/class s\d+ pathend/);
  });

  it("counts in the title in the singular where there is one ('within 1 call', '1 state')", () => {
    const g = reachableGraph(v7, 2, invariants, { depth: 1, invariant: 'owned-isolation' });
    expect(g.depth).toBe(1);
    expect(reachableDot(v7, g)).toContain('v7 at 2 devices: states within 1 call of the start');
    const start = reachableGraph(v7, 2, invariants, { depth: 0, invariant: 'owned-isolation' });
    expect(reachableMermaid(v7, start)).toContain('states within 0 calls of the start (1 state; 0 calls one step deeper drawn');
  });

  it('refuses a graph too large to read, in one line saying why and what fits', () => {
    let err: unknown;
    try {
      reachableGraph(v7, 2, invariants, { depth: 8 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const m = /^the reachable graph of design v7 at 2 devices within 8 calls has \d+ states, more than the 150 a diagram can show readably; --depth (\d+) fits$/.exec((err as Error).message);
    expect(m, (err as Error).message).not.toBeNull();
    // The depth it suggests is the deepest that fits.
    const fits = Number(m![1]);
    expect(() => reachableGraph(v7, 2, invariants, { depth: fits })).not.toThrow();
    expect(() => reachableGraph(v7, 2, invariants, { depth: fits + 1 })).toThrow(InputError);
    expect(() => reachableGraph(v7, 3, invariants)).toThrow(/try fewer --devices/);
    expect(() => reachableGraph(v7, 2, invariants, { depth: 2 })).toThrow(/--depth 2 cuts the no-mixed-dma counterexample, which takes 5 calls/);
  });

  it('shows the whole space when it is small and nothing is violated', () => {
    const only = invariants.filter((i) => i.name === 'owned-isolation');
    const g = reachableGraph(v7, 1, only, { maxStates: 1000, maxEdges: 5000 });
    expect(g.highlighted).toBeNull();
    expect(g.whole).toBe(true);
    expect(g.nodes.length).toBe(checkDesign(v7, 1, only).result.states);
  });
});

describe('the check a diagram draws from', () => {
  it('reports its progress as check does (the CLI shows it on a terminal) and draws the same graph', () => {
    const seen: { states: number; depth: number; queue: number }[] = [];
    const big = { maxStates: 1000, maxEdges: 5000 };
    const g = reachableGraph(v7, 3, invariants, { ...big, onProgress: (p) => seen.push(p), progressEvery: 1024 });
    const total = checkDesign(v7, 3, invariants).result.states;
    // A report every 1,024 expanded states, each with more states than the one before.
    expect(seen.length).toBeGreaterThanOrEqual(Math.floor((total - 1) / 1024) - 1);
    for (let i = 1; i < seen.length; i++) expect(seen[i].states).toBeGreaterThan(seen[i - 1].states);
    expect(seen.every((p) => p.states <= total && p.queue >= 0)).toBe(true);
    expect(g).toEqual(reachableGraph(v7, 3, invariants, big));
  });
});

describe('counterexample as a Mermaid sequence diagram', () => {
  it('has the lanes, calls, return codes, the WARN_ON and the breaking state', () => {
    const dc = checkDesign(v7, 2, invariants);
    const v = dc.verdicts.find((x) => x.name === 'no-warn');
    if (v?.verdict !== 'violated') throw new Error('no-warn should be violated');
    const m = sequenceMermaid(v7, 2, v);
    expect(m.split('\n').slice(0, 6)).toEqual([
      'sequenceDiagram',
      '  participant DC as driver core',
      '  participant KD as kernel driver',
      '  participant F1 as VFIO user file1',
      '  participant F2 as VFIO user file2',
      '  participant IO as IOMMU core (v7)',
    ]);
    expect(m).toContain('  DC->>IO: 2. unbind_driver(dev=0)\n  IO-->>DC: 0\n  Note over IO: WARN_ON fired [unuse#58;WARN_ON(!owner_cnt)]');
    expect(m).toMatch(/Note over DC,IO: ✗ no-warn broken#58; WARN_ON fired in unbind_driver/);

    const mixed = dc.verdicts.find((x) => x.name === 'no-mixed-dma');
    if (mixed?.verdict !== 'violated') throw new Error('no-mixed-dma should be violated');
    const m2 = sequenceMermaid(v7, 2, mixed);
    expect(m2).toContain('F1->>IO: 4. claim(owner=file1)');
    expect(m2).toContain('Note over IO: user-owned<br/>owner_cnt=1 owner=file1 domain=null fd_openable=true<br/>d0#58;vfio@null d1#58;kernel@null');
    expect(m2).toContain('✗ no-mixed-dma broken#58; device 1 has a kernel DMA-API driver bound while file1 owns the group');
  });
});

/**
 * The statechart derived from a design's machine (src/diagram/statechart.ts) and its Mermaid,
 * DOT and SVG renderings.
 */
import { describe, expect, it } from 'vitest';
import { design as v7 } from '../machines/v7';
import { replayEvents } from '../src/iommu/replay';
import { deriveStatechart } from '../src/diagram/statechart';
import { statechartDot } from '../src/diagram/statechartDot';
import { statechartMermaid } from '../src/diagram/statechartMermaid';
import { renderSvg } from '../src/diagram/renderSvg';
import { mermaidId, mermaidText } from '../src/diagram/labels';
import { GROUP_STATES } from '../src/model/vocabulary';

const sc = deriveStatechart(v7, 2);
const edge = (from: string, to: string) => sc.edges.find((e) => e.from === from && e.to === to);
const lines = (from: string, to: string) => (edge(from, to)?.labels ?? []).map((l) => `${l.event} [${l.guard || 'else'}]${l.warn ? ' WARN' : ''}`);

describe('v7 statechart at 2 devices', () => {
  it('has the four states, all reached, starting unowned', () => {
    expect(sc.states.map((s) => s.name)).toEqual(['unowned', 'dma-api', 'private-domain', 'user-owned']);
    expect(sc.states.every((s) => s.reached)).toBe(true);
    expect(sc.initial).toBe('unowned');
  });

  it('labels each state change with the call and the guard of the alternative that fired', () => {
    expect(lines('unowned', 'dma-api')).toEqual(['bind_driver [else]']);
    expect(lines('unowned', 'user-owned')).toEqual(['claim [claim:domain]']);
    expect(lines('user-owned', 'private-domain')).toEqual(['release [release:WARN_ON(domain)] WARN']);
    expect(lines('dma-api', 'user-owned')).toEqual([]);
    // Labels follow the design's event order, then the machine's order of alternatives.
    expect(lines('unowned', 'private-domain')).toEqual(['attach_group [else]', 'attach_device [else]']);
  });

  it('every edge is something the machine really does: a witness trace reproduces one', () => {
    // release with WARN_ON(domain): a user claims, attaches its domain and releases without detaching.
    const t = replayEvents(v7, 2, [
      { type: 'probe_device', dev: 0 },
      { type: 'bind_driver', dev: 0, driver: 'vfio' },
      { type: 'claim', owner: 'file1' },
      { type: 'attach_group', domain: 'dom1' },
      { type: 'release', owner: 'file1' },
    ]);
    const last = t[t.length - 1];
    expect([t[t.length - 2].state, last.state, last.fired?.guardName, last.warn]).toEqual(['user-owned', 'private-domain', 'release:WARN_ON(domain)', true]);
  });

  it('self-loops that fail or warn are kept apart from state changes', () => {
    const loop = edge('dma-api', 'dma-api')!;
    expect(loop.labels.some((l) => l.event === 'claim' && l.guard === 'claim:owner_cnt' && l.rets.includes(-1))).toBe(true);
  });

  it('renders Mermaid deterministically, with colons escaped for the parser', () => {
    const m = statechartMermaid(sc);
    expect(m).toBe(statechartMermaid(deriveStatechart(v7, 2)));
    expect(m).toMatch(/^stateDiagram-v2\n/);
    expect(m).toContain('[*] --> unowned');
    expect(m).toContain('unowned --> user_owned: claim [claim#58;domain]');
    expect(m).not.toContain('note right of'); // self-loops off by default in Mermaid
    expect(statechartMermaid(sc, 'errors')).toContain('note right of dma_api');
  });

  it('renders DOT and, in-process, SVG with every label', async () => {
    const dot = statechartDot(sc, 'errors');
    const svg = await renderSvg(dot);
    expect(svg).toMatch(/<svg[\s>]/);
    const text = svg.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    for (const label of ['bind_driver [else]', 'claim [claim:domain]', 'release [release:WARN_ON(domain)] WARN', 'claim [claim:owner_cnt] → -EPERM']) {
      expect(text).toContain(label);
    }
    expect(await renderSvg(dot)).toBe(svg);
  });
});

describe('mermaidText', () => {
  // Guard names are a design's own text. Mermaid reads '%%' as a comment (the rest of the line
  // vanished, or '%%{...}%%' broke the parse), a backtick as a markdown string and '$$' as
  // maths; the codes render as the characters (test/mermaid-render.test.ts).
  it('turns the characters Mermaid reads as syntax into #code; entities, and leaves the rest', () => {
    expect(mermaidText('claim [a:b; "c" <d> #e] %%x `y` $$z$$')).toBe('claim [a#58;b#59; #34;c#34; #60;d#62; #35;e] #37;#37;x #96;y#96; #36;#36;z#36;#36;');
    expect(mermaidText('bind_driver(dev=0) && owner_cnt != 0 → -EBUSY')).toBe('bind_driver(dev=0) && owner_cnt != 0 → -EBUSY');
  });
});

describe('mermaidId', () => {
  // State names are the fixed GROUP_STATES, so mermaidId needs no collision or keyword guard as
  // long as they map to distinct ids that are not words of Mermaid's stateDiagram syntax. A new
  // group state that broke this would make statecharts that draw two states as one, or none.
  it('maps every group state to a distinct id that is not a Mermaid keyword', () => {
    const ids = GROUP_STATES.map(mermaidId);
    expect(new Set(ids).size).toBe(GROUP_STATES.length);
    const keywords = ['end', 'state', 'note', 'as', 'direction', 'class', 'classdef', 'default', 'style', 'left', 'right', 'of', 'over', 'click', 'stateDiagram', 'stateDiagram-v2'];
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
      expect(keywords.map((k) => k.toLowerCase())).not.toContain(id.toLowerCase());
    }
  });
});

/**
 * The Mermaid dmaown writes parses and renders in a real Mermaid (the `mermaid` package, in
 * headless Chromium: Mermaid needs a DOM), as GitHub draws it in markdown: every design's
 * statechart (with and without its notes), the generated diagram of every design doc, reachable
 * graphs with a highlighted counterexample, and the sequence diagram of every counterexample of
 * v7 at 2 devices. A rendered statechart must show every state and every call its edges name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESIGN_DOCS_DIR } from '../src/diagram/designDocs';
import { changingEdges } from '../src/diagram/labels';
import { reachableGraph } from '../src/diagram/reachableGraph';
import { reachableMermaid } from '../src/diagram/reachableMermaid';
import { sequenceMermaid } from '../src/diagram/sequenceMermaid';
import { deriveStatechart, type Statechart } from '../src/diagram/statechart';
import { statechartMermaid } from '../src/diagram/statechartMermaid';
import { checkDesign } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { launchChromium, skipWithoutChromium } from './headlessChromium';

const MERMAID = require.resolve('mermaid/dist/mermaid.min.js');

const SKIP = skipWithoutChromium('mermaid-render');

interface Rendered { readonly type: string | null; readonly error: string | null; readonly text: string }

describe.skipIf(SKIP)('Mermaid output in a real Mermaid', () => {
  let browser: Browser;
  let page: Page;
  let n = 0;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    // Nothing is fetched: Mermaid comes from node_modules.
    await page.route('**/*', (r) => (r.request().url() === 'about:blank' ? r.continue() : r.abort()));
    await page.setContent('<!doctype html><html><body><div id="host"></div></body></html>');
    await page.addScriptTag({ path: MERMAID });
    await page.evaluate(() => (globalThis as unknown as { mermaid: { initialize(o: object): void } }).mermaid.initialize({ startOnLoad: false }));
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Parses and renders `text`; the diagram type Mermaid read, the first error, and the SVG's visible text. */
  const render = (text: string): Promise<Rendered> =>
    page.evaluate(async ({ text, id }) => {
      const m = (globalThis as unknown as { mermaid: { parse(t: string): Promise<{ diagramType: string }>; render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
      try {
        const { diagramType } = await m.parse(text);
        const { svg } = await m.render(id, text);
        // Browser code: the DOM's types are not in this project's lib.
        type El = { innerHTML: string; textContent: string | null; querySelectorAll(q: string): { forEach(f: (e: { remove(): void }) => void): void } };
        const host = (globalThis as unknown as { document: { getElementById(id: string): El } }).document.getElementById('host');
        host.innerHTML = svg;
        host.querySelectorAll('style').forEach((s) => s.remove());
        return { type: diagramType, error: null, text: (host.textContent ?? '').replace(/\s+/g, ' ') };
      } catch (e) {
        return { type: null, error: (e as Error).message ?? String(e), text: '' };
      }
    }, { text, id: `d${n++}` });

  const expectRenders = async (what: string, text: string, type: string): Promise<Rendered> => {
    const r = await render(text);
    expect(r.error, `${what}:\n${text}`).toBeNull();
    expect(r.type, what).toBe(type);
    return r;
  };

  it("every design's statechart at 2 devices, with its notes and without; each state and each call shows", async () => {
    const designs = await loadDesigns();
    for (const d of designs) {
      const sc = deriveStatechart(d, 2);
      for (const loops of ['none', 'errors'] as const) {
        const r = await expectRenders(`${d.name} statechart (${loops})`, statechartMermaid(sc, loops), 'stateDiagram');
        for (const s of sc.states) expect(r.text, `${d.name}: state ${s.name}`).toContain(s.name);
        for (const e of changingEdges(sc)) for (const l of e.labels) expect(r.text, `${d.name}: ${e.from} -> ${e.to}`).toContain(`${l.event} [`);
      }
    }
  });

  it("shows a design's own guard names as written, whatever characters they use", async () => {
    // Guard names are a design's own text: Mermaid syntax in them must come out as text.
    const guards = ['a:b; c', '100% %%not a comment', '`code` #1 "quoted" <b>x</b>', '%%{init: {}}%%', '$$x$$ is not maths'];
    const label = (guard: string) => ({ event: 'claim', guard, rets: [-16], warn: false });
    const sc: Statechart = {
      design: 'made-up', devices: 2, initial: 'unowned',
      states: [{ name: 'unowned', description: '', reached: true }, { name: 'user-owned', description: '', reached: true }],
      edges: [
        { from: 'unowned', to: 'user-owned', labels: guards.slice(0, 2).map(label) },
        { from: 'user-owned', to: 'user-owned', labels: guards.slice(2).map(label) },
      ],
    };
    const r = await expectRenders('made-up statechart', statechartMermaid(sc, 'all'), 'stateDiagram');
    for (const g of guards) expect(r.text).toContain(`claim [${g}] → -EBUSY`);
  });

  it('the generated diagram of every design doc', async () => {
    const docs = readdirSync(DESIGN_DOCS_DIR).filter((f) => f.endsWith('.md'));
    expect(docs.length).toBe((await loadDesigns()).length);
    for (const f of docs) {
      const blocks = [...readFileSync(join(DESIGN_DOCS_DIR, f), 'utf8').matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)];
      expect(blocks.length, f).toBeGreaterThan(0);
      for (const [, text] of blocks) await expectRenders(`docs/designs/${f}`, text, 'stateDiagram');
    }
  });

  it('reachable graphs with a highlighted counterexample, and the sequence diagram of every counterexample', async () => {
    const designs = await loadDesigns();
    const invariants = await loadInvariants();
    const v7 = designs.find((d) => d.name === 'v7')!;
    const v8 = designs.find((d) => d.name === 'v8')!;
    for (const [design, o] of [[v7, {}], [v7, { invariant: 'no-warn' }], [v8, { invariant: 'owned-isolation', depth: 3 }]] as const) {
      const r = await expectRenders(`${design.name} reachable ${JSON.stringify(o)}`, reachableMermaid(design, reachableGraph(design, 2, invariants, o)), 'flowchart-v2');
      expect(r.text).toContain(`${design.name} at 2 devices`);
    }
    const violated = checkDesign(v7, 2, invariants).verdicts.filter((v) => v.verdict === 'violated');
    expect(violated.length).toBeGreaterThan(0);
    for (const v of violated) {
      if (v.verdict !== 'violated') continue;
      const r = await expectRenders(`v7 ${v.name} sequence`, sequenceMermaid(v7, 2, v), 'sequence');
      expect(r.text).toContain(v.counterexample[0].type);
    }
    // At one device no-mixed-dma's counterexample takes the one-group shortcut: its note renders too.
    const shortcut = checkDesign(v7, 1, invariants).verdicts.find((v) => v.name === 'no-mixed-dma');
    if (shortcut?.verdict !== 'violated') throw new Error('v7 at 1 device should violate no-mixed-dma');
    const r = await expectRenders('v7 no-mixed-dma sequence at 1 device', sequenceMermaid(v7, 1, shortcut), 'sequence');
    expect(r.text).toContain('one-group shortcut');
  });
});

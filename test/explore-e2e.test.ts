/**
 * The explorer end to end in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core): the page loads, the verdict table matches checkDesign, stepping through a
 * counterexample highlights the fields each call changed, clicking a caller action moves to its
 * successor, and a screenshot is saved to test-artifacts/explorer.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDesign } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { formatEvent } from '../src/iommu/events';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { freshGroupSteps } from '../src/iommu/freshGroupSteps';
import { initialTraceState, replayEvents } from '../src/iommu/replay';
import type { GroupContext } from '../src/model/context';
import { startExploreServer, type ExploreServer } from '../src/explore/server';
import { launchChromium, skipWithoutChromium } from './headlessChromium';

const ARTIFACT = join(__dirname, '..', 'test-artifacts', 'explorer.png');

/** Field paths that differ between two states, written out here independently of the server's diff. */
function expectedChanges(a: { state: string; context: GroupContext }, b: { state: string; context: GroupContext }): string[] {
  const out: string[] = [];
  if (a.state !== b.state) out.push('state');
  for (const k of ['owner_cnt', 'owner', 'domain']) if (a.context[k] !== b.context[k]) out.push(`group.${k}`);
  b.context.devices.forEach((d, i) => {
    for (const k of Object.keys(d)) if (a.context.devices[i][k] !== d[k]) out.push(`devices.${i}.${k}`);
  });
  b.context.users.forEach((u, i) => { if (a.context.users[i].phase !== u.phase) out.push(`users.${i}.phase`); });
  return out.sort();
}

const changedOnPage = async (page: Page) =>
  (await page.locator('#group td.changed, #users td.changed, #devices-table td.changed').evaluateAll((els) => els.map((e) => e.getAttribute('data-field')!))).sort();

const SKIP = skipWithoutChromium('explore-e2e');

describe.skipIf(SKIP)('dmaown explore in headless Chromium', () => {
  let server: ExploreServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startExploreServer(0);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the verdicts of checkDesign, steps through a counterexample, and walks by clicking actions', async () => {
    const design = (await loadDesigns()).find((d) => d.name === 'v7')!;
    const dc = checkDesign(design, 2, await loadInvariants());

    await page.goto(`${server.url}#design=v7&devices=2`);
    await page.locator('#verdicts tbody tr').nth(dc.verdicts.length - 1).waitFor();
    const rows = await page.locator('#verdicts tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-invariant'), tr.querySelector('td.verdict')!.textContent]));
    expect(rows).toEqual(dc.verdicts.map((v) => [v.name, v.verdict]));
    await page.locator('#statechart svg .node').first().waitFor();

    // Step through the no-warn counterexample (Eric Auger's WARN_ON).
    const v = dc.verdicts.find((x) => x.name === 'no-warn');
    if (v?.verdict !== 'violated') throw new Error('v7 at 2 devices should violate no-warn');
    await page.locator('button.show-cex[data-invariant="no-warn"]').click();
    await expect.poll(() => page.locator('#trail-title').textContent()).toBe('Counterexample: no-warn');
    await expect.poll(() => page.locator('#trail tbody tr').count()).toBe(v.counterexample.length + 1);
    expect(await changedOnPage(page)).toEqual([]);
    let prev: { state: string; context: GroupContext } = initialTraceState(design, 2);
    for (const step of v.trace) {
      await page.locator('#next').click();
      await expect.poll(() => page.locator('#trail tbody tr.current').getAttribute('data-index')).toBe(String(step.step + 1));
      expect(await changedOnPage(page)).toEqual(expectedChanges(prev, step));
      expect(await page.locator('#last-call code.call').textContent()).toBe(formatEvent(step.event));
      prev = step;
    }
    expect(await page.locator('#last-call .tag.warn').textContent()).toBe('WARN_ON fired');
    expect(await page.locator('.broken-list li[data-invariant="no-warn"]').count()).toBe(1);
    expect(await page.locator('#next').isDisabled()).toBe(true);
    await page.locator('#prev').click();
    await expect.poll(() => page.locator('#trail tbody tr.current').getAttribute('data-index')).toBe(String(v.trace.length - 1));

    // Walk: from the initial state, click probe_device(dev=0); the device joins the group.
    await page.locator('#restart').click();
    await expect.poll(() => page.locator('#trail tbody tr').count()).toBe(1);
    const probe = page.locator('button.action[data-call="probe_device(dev=0)"]');
    await probe.waitFor();
    expect(await page.locator('td[data-field="devices.0.in_group"]').textContent()).toBe('false');
    await probe.click();
    await expect.poll(() => page.locator('#trail tbody tr').count()).toBe(2);
    const joined = replayEvents(design, 2, [{ type: 'probe_device', dev: 0 }])[0];
    expect(await page.locator('td[data-field="devices.0.in_group"]').textContent()).toBe('true');
    expect(await changedOnPage(page)).toEqual(expectedChanges(initialTraceState(design, 2), joined));
    // ... and only actions enabled there are offered: the device can no longer be probed.
    await page.locator('button.action[data-call="release_device(dev=0)"]').waitFor();
    expect(await page.locator('button.action[data-call="probe_device(dev=0)"]').count()).toBe(0);

    // Screenshot: the no-mixed-dma counterexample at its last step.
    await page.locator('button.show-cex[data-invariant="no-mixed-dma"]').click();
    await expect.poll(() => page.locator('#trail-title').textContent()).toBe('Counterexample: no-mixed-dma');
    await page.locator('#last').click();
    await page.locator('.broken-list li[data-invariant="no-mixed-dma"]').waitFor();
    await page.locator('button.action').first().waitFor();

    // The statechart with guards (src/diagram's Graphviz SVG) marks the current state.
    await page.locator('#gv > summary').click();
    await page.locator('#gv-svg g.node.current').waitFor();
    expect(await page.locator('#gv-svg g.node.current > title').textContent()).toBe('user-owned');
    expect(await page.locator('#gv-svg g.edge.hot > title').textContent()).toBe('unowned->user-owned');
    mkdirSync(join(ARTIFACT, '..'), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    expect(existsSync(ARTIFACT)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('marks the step of a counterexample that takes the one-group shortcut', async () => {
    const design = (await loadDesigns()).find((d) => d.name === 'v7')!;
    const v = checkDesign(design, 1, await loadInvariants()).verdicts.find((x) => x.name === 'no-mixed-dma');
    if (v?.verdict !== 'violated') throw new Error('v7 at 1 device should violate no-mixed-dma');
    const step = freshGroupSteps(design, 1, v.trace)[0].step;
    const fresh = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    fresh.on('pageerror', (e) => pageErrors.push(e.message));
    await fresh.goto(`${server.url}#design=v7&devices=1`);
    // The verdicts panel says so before the counterexample is opened.
    expect(await fresh.locator('#verdicts tbody tr[data-invariant="no-mixed-dma"] .tag.shortcut').textContent()).toBe(`one-group shortcut at step ${step}`);
    expect(await fresh.locator('#verdicts tbody tr[data-invariant="no-warn"] .tag.shortcut').count()).toBe(0);
    await fresh.locator('button.show-cex[data-invariant="no-mixed-dma"]').click();
    await expect.poll(() => fresh.locator('#trail tbody tr').count()).toBe(v.counterexample.length + 1);
    // The trail tags the step's row (row 0 is the initial state), and only it.
    expect(await fresh.locator('#trail tbody tr').evaluateAll((trs) => trs.flatMap((tr, i) => (tr.querySelector('.tag.shortcut') ? [i] : [])))).toEqual([step + 1]);
    await fresh.locator(`#trail tbody tr[data-index="${step + 1}"]`).click();
    expect(await fresh.locator('#last-call .tag.shortcut').textContent()).toBe('one-group shortcut');
    await fresh.locator(`#trail tbody tr[data-index="${step}"]`).click();
    expect(await fresh.locator('#last-call .tag.shortcut').count()).toBe(0);
    await fresh.close();
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The generated diagram in each docs/designs/<name>.md (between the marker lines) and
 * docs/designs/img/<name>.svg are what `dmaown diagram --update-docs` makes from the machines
 * today. Fails when a machine changed and the docs were not regenerated.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DESIGN_DOCS_DIR, generatedDiagram, replaceGenerated, updateDesignDocs } from '../src/diagram/designDocs';
import { loadDesigns } from '../src/iommu/designRegistry';

describe('generated design diagrams', () => {
  it('replaces only the text between the markers', () => {
    const doc = 'intro\n<!-- BEGIN GENERATED DIAGRAM -->\nold\n<!-- END GENERATED DIAGRAM -->\nafter\n';
    expect(replaceGenerated(doc, 'new')).toBe('intro\n<!-- BEGIN GENERATED DIAGRAM -->\nnew\n<!-- END GENERATED DIAGRAM -->\nafter\n');
    expect(replaceGenerated('no markers', 'new')).toBeNull();
  });

  it('are up to date in every design doc, and every design has one with the markers (run `dmaown diagram --update-docs`)', async () => {
    const designs = await loadDesigns();
    const status = await updateDesignDocs(designs, true);
    expect(status.stale, 'stale: run `node bin/dmaown.js diagram --update-docs`').toEqual([]);
    expect(status.unmarked, 'designs without docs/designs/<name>.md, or whose doc lacks the marker lines (README: Adding a design)').toEqual([]);
    // v7's doc carries the diagram.
    const v7 = designs.find((d) => d.name === 'v7')!;
    const { section } = await generatedDiagram(v7);
    expect(readFileSync(join(DESIGN_DOCS_DIR, 'v7.md'), 'utf8')).toContain(section);
    expect(existsSync(join(DESIGN_DOCS_DIR, 'img', 'v7.svg'))).toBe(true);
  });
});

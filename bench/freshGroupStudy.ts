/**
 * What the model's group-lifetime shortcut (docs/model.md, "The group's lifetime") does to the
 * verdicts: every design checked at each bound as it is and without the shortcut's joins
 * (`withoutShortcut`), every invariant, one thread. Prints per design and bound both state
 * counts, the verdicts that differ (with counterexample lengths), and how many of the design's
 * shortest counterexamples the reports flag (`freshGroupSteps`).
 *
 *   npm run build && node dist/bench/freshGroupStudy.js [DEVICES ...]   (default: 1 2 3)
 *
 * Deterministic: the counts and verdicts are the checker's.
 */
import { checkDesign, type InvariantVerdict } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { freshGroupSteps, withoutShortcut } from '../src/iommu/freshGroupSteps';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { int, table } from './format';

const verdictText = (v: InvariantVerdict): string => (v.verdict === 'violated' ? `violated (${v.counterexample.length})` : v.verdict);

async function main(): Promise<void> {
  const bounds = process.argv.slice(2).map(Number);
  for (const n of bounds) if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`a bound is a number of devices from 1 to 8, not ${JSON.stringify(String(n))}`);
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  const rows: string[][] = [];
  for (const n of bounds.length ? bounds : [1, 2, 3]) {
    for (const design of designs) {
      const as = checkDesign(design, n, invariants);
      const without = checkDesign(withoutShortcut(design), n, invariants);
      const flagged = as.verdicts.filter((v) => v.verdict === 'violated' && freshGroupSteps(design, n, v.trace).length > 0).length;
      const differ = as.verdicts.flatMap((v, i) => (verdictText(v) === verdictText(without.verdicts[i]) ? [] : [`${v.name}: ${verdictText(v)} -> ${verdictText(without.verdicts[i])}`]));
      rows.push([design.name, String(n), int(as.result.states), int(without.result.states), String(flagged), differ.join('; ') || 'same']);
    }
  }
  process.stdout.write(table(['design', 'devices', 'states', 'without', 'flagged', 'verdicts without the shortcut'], rows, [5]) + '\n');
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`freshGroupStudy: ${e.message}\n`);
    process.exit(2);
  });
}

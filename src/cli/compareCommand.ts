import { InputError } from '../errors';
import type { Design } from '../iommu/design';
import { loadDesigns } from '../iommu/designRegistry';
import { loadScenarios } from '../iommu/scenarioRegistry';
import { comparisonIncomplete, compareDesigns, comparisonJsonText, comparisonMarkdown } from '../report/compareReport';
import { flagChoice, flagList, parseArgs } from './args';
import { EXIT, type Command } from './command';
import { budgetFlags, DEFAULT_DEVICES, designByName, devicesFlag, invariantsByName, symmetryFlag } from './common';

/** What `dmaown compare ARGS` prints, and its exit code (exported for tests and doc generation). */
export async function compareOutput(argv: readonly string[]): Promise<{ text: string; code: number }> {
  const args = parseArgs(argv, [
    { name: 'devices', kind: 'string' },
    { name: 'design', kind: 'list' },
    { name: 'format', kind: 'string' },
    { name: 'max-memory', kind: 'string' },
    { name: 'symmetry', kind: 'bool' },
  ], 'compare');
  if (args.positional.length > 0) throw new InputError(`compare: unexpected argument '${args.positional[0]}'`);
  const devices = devicesFlag(args);
  const format = flagChoice(args, 'format', ['md', 'json'] as const, 'md');
  const named = flagList(args, 'design');
  const designs: Design[] = [];
  if (named) {
    for (const n of named) {
      const d = await designByName(n);
      if (!designs.includes(d)) designs.push(d);
    }
  } else {
    designs.push(...(await loadDesigns()));
  }
  const { maxMemory } = budgetFlags(args);
  const symmetry = symmetryFlag(args);
  const invariants = await invariantsByName(undefined);
  const scenarios = loadScenarios();
  const command = [
    'dmaown compare', `--devices ${devices}`, ...(named ? [`--design ${designs.map((d) => d.name).join(',')}`] : []), ...(symmetry ? ['--symmetry'] : []), `--format ${format}`,
  ].join(' ');
  const c = compareDesigns(designs, devices, invariants, scenarios, command, { maxMemory, symmetry });
  const text = format === 'json' ? comparisonJsonText(c) : comparisonMarkdown(c);
  return { text, code: comparisonIncomplete(c) ? EXIT.INCOMPLETE : EXIT.OK };
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'check every design against every invariant and usage scenario, side by side',
  help: `usage: dmaown compare [--devices N] [--design NAME ...] [--format md|json] [--max-memory SIZE]
                      [--symmetry]

Checks every design (or the ones named) exhaustively against every invariant, and plays every
usage scenario on it, at one bound, and prints the matrix: holds (with the states explored),
violated (with the length of the shortest counterexample, printed below the matrix as numbered
calls), n/a (with the reason); scenarios pass, fail (naming the step and its return code) or
are n/a (the design lacks a call they need).

  --devices N          devices in the group, 1 to 8, or 1 to 10 with --symmetry (default ${DEFAULT_DEVICES})
  --design NAME        compare only this design; repeat or comma-separate for several
                       (default: all; 'dmaown designs' lists them)
  --format md|json     report format (default md; json is described in docs/compare.md)
  --max-memory SIZE    stop each search before it uses more than SIZE, e.g. 512M
                       (verdicts not reached are 'unknown', exit 3)
  --symmetry           store one state per class of states equal up to renumbering
                       interchangeable devices and users (as 'dmaown check --symmetry'): same
                       verdicts and counterexample lengths, fewer states

docs/comparison.md is this command's output at 3 devices:
  dmaown compare --devices 3 --format md > docs/comparison.md

exit status: 0 it ran (violations are part of the output, not an error), 2 bad usage or input,
             3 a budget stopped a search before it decided`,
  async run(argv) {
    const { text, code } = await compareOutput(argv);
    process.stdout.write(text);
    return code;
  },
};

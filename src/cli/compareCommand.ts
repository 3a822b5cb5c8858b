import type { Design } from '../iommu/design';
import { loadDesigns } from '../iommu/designRegistry';
import { loadScenarios } from '../iommu/scenarioRegistry';
import { comparisonIncomplete, compareDesignsAsync, comparisonJsonText, comparisonMarkdown } from '../report/compareReport';
import { flagChoice, flagList, parseArgs, refuseArguments } from './args';
import { EXIT, type Command } from './command';
import { budgetFlags, DEFAULT_DEVICES, designByName, DEVICES_RANGE, devicesFlag, invariantsByName, invariantsFlag, SEARCH_FLAG_SPECS, searchFlags, switchFlag } from './common';
import { interruptedExitCode, interruptible } from './interrupt';
import { progressReporter } from './progress';
import { refuseTooLarge } from './sizeCheck';

/**
 * What `dmaown compare ARGS` prints, and its exit code (exported for tests and doc generation).
 * `signal` stops it as Ctrl-C does: the design being checked stops, the rest are not run.
 */
export async function compareOutput(argv: readonly string[], signal?: AbortSignal): Promise<{ text: string; code: number }> {
  const run = await compareRun(argv, signal);
  return { text: run.text, code: run.incomplete ? EXIT.INCOMPLETE : EXIT.OK };
}

/** Parses the command line, runs the comparison and renders it; `incomplete` as comparisonIncomplete. */
async function compareRun(argv: readonly string[], signal?: AbortSignal, progress?: ReturnType<typeof progressReporter>): Promise<{ text: string; incomplete: boolean }> {
  const args = parseArgs(argv, [
    { name: 'devices', kind: 'string' },
    { name: 'design', kind: 'list' },
    { name: 'format', kind: 'string' },
    { name: 'invariant', kind: 'list' },
    { name: 'stop-when-decided', kind: 'bool' },
    ...SEARCH_FLAG_SPECS,
  ], 'compare');
  // `--invariant a b` lists several, as in check: names after --invariant are invariants too.
  const namedInvariants = invariantsFlag(args);
  if (!namedInvariants) refuseArguments(args, 'compare');
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
  const budget = budgetFlags(args);
  const { symmetry, workers } = searchFlags(args);
  const invariants = await invariantsByName(namedInvariants ? [...namedInvariants, ...args.positional] : undefined);
  const stopWhenDecided = switchFlag(args, 'stop-when-decided');
  const scenarios = loadScenarios();
  // Designs estimated not to fit the memory budget are bad input: refused before any search.
  const sizes = refuseTooLarge('compare', designs.map((design) => ({ design, devices, invariants, symmetry, maxStates: budget.maxStates, maxMemory: budget.maxMemory })),
    { remedy: designs.length > 1 ? 'leaving those designs out with --design' : undefined, stopWhenDecided });
  // The command line that gives the same bytes: --max-states stops every run at the same
  // state; --workers changes nothing; memory and time budgets name themselves where they stop.
  const command = [
    'dmaown compare', `--devices ${devices}`, ...(named ? [`--design ${designs.map((d) => d.name).join(',')}`] : []),
    ...(namedInvariants ? [`--invariant ${invariants.map((i) => i.name).join(',')}`] : []), ...(symmetry ? ['--symmetry'] : []),
    ...(budget.maxStates !== undefined ? [`--max-states ${budget.maxStates}`] : []), ...(stopWhenDecided ? ['--stop-when-decided'] : []), `--format ${format}`,
  ].join(' ');
  const request = { designs, devices, invariants, invariantsChosen: namedInvariants !== undefined, scenarios, command };
  const c = await compareDesignsAsync(request, {
    ...budget, symmetry, workers, stopWhenDecided, signal, onProgress: progress?.onProgress, progressEvery: 1 << 14,
  }, (d, i) => progress?.label(`${d.name} (${i + 1}/${designs.length})`, sizes[i]?.states));
  const text = format === 'json' ? comparisonJsonText(c) : comparisonMarkdown(c);
  return { text, incomplete: comparisonIncomplete(c) };
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'check every design against every invariant and usage scenario, side by side',
  help: `usage: dmaown compare [--devices N] [--design NAME ...] [--invariant NAME ...]
                      [--format md|json]
                      [--max-states N] [--max-memory SIZE] [--max-time DURATION]
                      [--symmetry] [--workers N] [--stop-when-decided]

Checks every design (or the ones named) exhaustively against every invariant (or the ones
named), and plays every usage scenario on it, at one bound, and prints the matrix: holds
(with the states explored), violated (with the length of the shortest counterexample, printed
below the matrix as numbered calls), n/a (with the reason); scenarios pass, fail (naming the
step and its return code) or are n/a (the design lacks a call they need).

  --devices N          devices in the group, ${DEVICES_RANGE} (default ${DEFAULT_DEVICES})
  --design NAME        compare only this design; repeat or comma-separate for several
                       (default: all; 'dmaown designs' lists them)
  --invariant NAME     check only this invariant; repeat, comma-separate or list several
                       (default: all; 'dmaown invariants' lists them)
  --format md|json     report format (default md; json is described in docs/compare.md)
  --max-states N       stop each design's search once it stores more than N distinct states
  --max-memory SIZE    stop each search before it uses more than SIZE, e.g. 512M
                       (default: half of this machine's memory); designs estimated to need
                       more are named and refused before any search (exit 2), as in check
  --max-time DURATION  stop each search after DURATION, e.g. 90s or 10m (a bare number is
                       seconds; where it stops depends on the machine's speed)
                       (a search a budget stops has 'unknown' for the verdicts it had not
                       reached; the report says which budget; exit 3)
  --symmetry           store one state per class of states equal up to renumbering
                       interchangeable devices and users (as 'dmaown check --symmetry'): same
                       verdicts and counterexample lengths, fewer states
  --workers N          search on N threads (default 1), as 'dmaown check --workers': the
                       same report whatever N
  --stop-when-decided  end a design's search once every invariant it checks is violated (where
                       a BFS level begins, as 'dmaown check --stop-when-decided'): the same
                       verdicts and counterexamples, final, with fewer states searched; a
                       design where one holds is still searched whole. type-ok holds in every
                       design, so this pays with --invariant; with --max-states N too, a
                       bound too large to search whole can be compared (docs/compare.md)

The designs are checked one after the other; on a terminal, stderr shows which, with a
progress line. Ctrl-C (SIGINT) or SIGTERM stops the design being checked (its verdicts not
reached are 'unknown') and skips the rest (listed as not run); the report is still printed,
and the process then ends by that signal (a second one ends it at once).

docs/comparison.md is this command's output at 3 devices:
  dmaown compare --devices 3 --format md > docs/comparison.md

exit status: 0 it ran (violations are part of the output, not an error), 2 bad usage or input,
             3 a budget stopped a search before it decided, 4 internal error;
             killed by SIGINT/SIGTERM (shell status 130/143) when interrupted`,
  async run(argv) {
    // The progress line goes to stderr on a terminal only, never in CI: the report stays clean.
    const progress = progressReporter();
    const { value, caught } = await interruptible((signal) => compareRun(argv, signal, progress), progress.done);
    if (caught) process.stderr.write(`dmaown: interrupted by ${caught}: the report covers what was checked\n`);
    process.stdout.write(value.text);
    return caught ? interruptedExitCode(caught) : value.incomplete ? EXIT.INCOMPLETE : EXIT.OK;
  },
};

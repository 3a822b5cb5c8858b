import { exitCodeOf, expectationLine, type CheckRun } from '../config/expectations';
import { resolvePlan } from '../config/resolvePlan';
import { runPlanAsync } from '../config/runPlan';
import { checkJson, checkText } from '../report/checkReport';
import { checkJunit } from '../report/junitReport';
import { checkMarkdown } from '../report/markdownReport';
import { flagChoice, parseArgs, refuseArguments } from './args';
import type { Command } from './command';
import { budgetFlags, SEARCH_FLAG_SPECS, DEFAULT_DESIGN, DEFAULT_DEVICES, designByName, DEVICES_RANGE, devicesFlag, invariantsByName, invariantsFlag, searchFlags, switchFlag, symmetryFlag, symmetryNotice } from './common';
import { flagString } from './args';
import { interruptedExitCode, interruptible } from './interrupt';
import { progressReporter } from './progress';
import { refuseTooLarge } from './sizeCheck';
import { refuseReportsOverInputs, reportFlags, writeReports } from './reportFlags';
import { plural } from '../report/plural';

const REPORT_FORMATS = ['text', 'json', 'junit', 'md'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * The report of a check in one format. JSON: one run object when the command line named the
 * run; `{ config, runs: [...] }` when a config file did (docs/json-output.md).
 */
function renderReport(format: ReportFormat, runs: readonly CheckRun[], source: string | null): string {
  switch (format) {
    case 'text':
      if (source === null) return runs.map((r) => checkText(r.dc)).join('\n');
      // With a config, each run also says how its verdicts compare with the config's `expect`.
      return `config ${source}: ${plural(runs.length, 'run')}\n\n` + runs.map((r) => `${checkText(r.dc)}${expectationLine(r)}\n`).join('\n');
    case 'junit': return checkJunit(runs);
    case 'md': return checkMarkdown(runs);
    case 'json': {
      const run = (r: CheckRun) => ({ ...checkJson(r.dc), ...(Object.keys(r.expect).length ? { expect: r.expect } : {}) });
      const doc = source === null && runs.length === 1 ? run(runs[0]) : { config: source, runs: runs.map(run) };
      return JSON.stringify(doc, null, 2) + '\n';
    }
  }
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'check invariants of a design exhaustively and print shortest counterexamples',
  help: `usage: dmaown check [--design NAME] [--devices N] [--invariant NAME ...] [--config FILE]
                    [--format text|json|junit|md] [--report FORMAT=FILE ...]
                    [--max-states N] [--max-memory SIZE] [--max-time DURATION]
                    [--symmetry] [--workers N] [--stop-when-decided]

Explores every interleaving of the modelled callers (driver core, hot-plug, a kernel driver with
a private domain, two VFIO users) on one iommu group of N devices, breadth first, and reports
each invariant: holds, violated (with the shortest counterexample) or n/a (with the reason).

  --design NAME        design to check (default ${DEFAULT_DESIGN}; 'dmaown designs' lists them)
  --devices N          devices in the group, ${DEVICES_RANGE}
                       (default ${DEFAULT_DEVICES})
  --invariant NAME     check only this invariant; repeat, comma-separate or list several
                       (default: all; 'dmaown invariants' lists them)
  --config FILE        check the designs, bounds and invariants FILE names (docs/ci.md);
                       its budgets, symmetry and workers apply where no flag overrides them;
                       without it, and without --design/--devices/--invariant,
                       dmaown.config.json (or .js/.cjs/.mjs/.ts) here is read if present
  --format FORMAT      report on standard output: text (default), json (docs/json-output.md),
                       junit (JUnit XML), md (markdown with sequence diagrams, for a CI summary)
  --report FORMAT=FILE also write the report in FORMAT to FILE; repeat for several
  --max-states N       stop once more than N distinct states are stored (the state being
                       expanded may add a few more; result marked incomplete); a search
                       of at most N states completes
  --max-memory SIZE    stop before the search uses more than SIZE, e.g. 512M or 8G
                       (default: half of this machine's memory; result incomplete);
                       a bound whose estimated size needs more is refused before searching
                       (exit 2), unless --max-states asks for a part that fits (docs/scaling.md)
  --max-time DURATION  stop each search after DURATION, e.g. 90s, 10m or 2h (a bare number
                       is seconds; result incomplete; where it stops depends on the
                       machine's speed, so its counts are not reproducible)
  --symmetry           store one state per class of states equal up to renumbering the
                       devices and swapping the users file1/dom1 with file2/dom2, where the
                       design treats them alike (checked first; the report says what was
                       used, and so does stderr with --format json, junit or md).
                       Same verdicts; counterexamples are concrete and as short as without;
                       state counts are classes (docs/scaling.md)
  --workers N          search on N threads (default 1): N-1 worker threads compute
                       successors, this one stores them; same counts, verdicts and
                       counterexamples whatever N
  --stop-when-decided  end each search once the BFS level by whose states every invariant
                       it checks is violated is stored and checked: the same verdicts and
                       counterexamples, the verdicts final, the state counts only up to
                       there (also when a budget stops it after that); an invariant that
                       holds still needs the whole bound. With --max-states N
                       a bound too large to search whole can be tried (docs/scaling.md)

Each counterexample is printed as numbered calls with return code, WARN and the state after
each call, followed by a 'replay:' line of events that 'dmaown replay' accepts as they are.
A 'note:' line under a trace marks a step the kernel would not take as printed: a device
joining the group after its last member left while the group is not fresh (the model keeps one
group where the kernel makes a fresh one; docs/model.md, "The group's lifetime").

Ctrl-C (SIGINT) or SIGTERM stops the search: the reports are still printed and written,
marked incomplete, and the process then ends by that signal (a second one ends it at once).

exit status: 0 all checked invariants hold, 1 one is violated, 2 bad usage or input,
             3 stopped by a budget (states, memory, time) before deciding (nothing violated so far)
             (with a config, 'holds' means 'as the config's "expect" says'), 4 internal error;
             killed by SIGINT/SIGTERM (shell status 130/143) when interrupted`,
  async run(argv) {
    const args = parseArgs(argv, [
      { name: 'design', kind: 'string' },
      { name: 'devices', kind: 'string' },
      { name: 'invariant', kind: 'list' },
      { name: 'format', kind: 'string' },
      { name: 'config', kind: 'string' },
      { name: 'report', kind: 'list' },
      { name: 'stop-when-decided', kind: 'bool' },
      ...SEARCH_FLAG_SPECS,
    ], 'check');
    // `--invariant a b` lists several: names after --invariant are invariants too.
    const named = invariantsFlag(args);
    if (!named) refuseArguments(args, 'check');
    const format = flagChoice(args, 'format', REPORT_FORMATS, 'text');
    const reports = reportFlags(args, REPORT_FORMATS);
    const plan = await resolvePlan({
      configFlag: flagString(args, 'config'),
      runFlags: args.flags.has('design') || args.flags.has('devices') || named !== undefined,
      cwd: process.cwd(),
      symmetry: args.flags.has('symmetry') ? symmetryFlag(args) : undefined,
      single: async () => ({
        design: await designByName(flagString(args, 'design') ?? DEFAULT_DESIGN, (list) => `to check several, use 'dmaown compare --design ${list}' or a --config with several checks`),
        devices: devicesFlag(args),
        invariants: await invariantsByName(named ? [...named, ...args.positional] : undefined),
        expect: {},
      }),
    });
    // A report written over the config it came from would replace it.
    refuseReportsOverInputs(reports, plan.source === null ? [] : [plan.source]);
    const budget = budgetFlags(args);
    if (!args.flags.has('max-states') && plan.maxStates !== undefined) budget.maxStates = plan.maxStates;
    if (!args.flags.has('max-memory') && plan.maxMemory !== undefined) budget.maxMemory = plan.maxMemory;
    if (!args.flags.has('max-time') && plan.maxTimeMs !== undefined) budget.maxTimeMs = plan.maxTimeMs;
    // The progress line goes to stderr on a terminal only, never in CI: reports stay clean.
    const progress = progressReporter();
    const search = searchFlags(args);
    if (!args.flags.has('symmetry') && plan.symmetry !== undefined) search.symmetry = plan.symmetry;
    if (!args.flags.has('workers') && plan.workers !== undefined) search.workers = plan.workers;
    const stopWhenDecided = args.flags.has('stop-when-decided') ? switchFlag(args, 'stop-when-decided') : plan.stopWhenDecided === true;
    // Ctrl-C or a CI runner's SIGTERM stops the search; the reports still get written. The
    // signals are handled from before the size estimate on: one that comes during the estimate
    // stops the search before its first states (the reports then cover nothing explored).
    const { value: runs, caught } = await interruptible(
      (signal) => {
        // Bounds estimated not to fit the memory budget are bad input: refused before any search.
        const sizes = refuseTooLarge('check', plan.runs.map((r) => ({ ...r, symmetry: search.symmetry, maxStates: budget.maxStates, maxMemory: budget.maxMemory })),
          { stopWhenDecided, ...(plan.source === null ? {} : { remedy: `leaving that run out of ${plan.source}`, config: plan.source, memoryFromConfig: !args.flags.has('max-memory') && plan.maxMemory !== undefined }) });
        // The progress line names the run when a config has several, and gives its estimated size.
        const onRun = (i: number) => {
          const r = plan.runs[i];
          progress.label(plan.runs.length > 1 ? `${r.design.name} at ${plural(r.devices, 'device')} (${i + 1}/${plan.runs.length})` : '', sizes[i]?.states);
        };
        return runPlanAsync(plan, { ...budget, ...search, stopWhenDecided, onProgress: progress.onProgress, progressEvery: 1 << 14, signal }, onRun);
      },
      progress.done,
    );
    if (caught) process.stderr.write(`dmaown: interrupted by ${caught}: the report covers what was explored${runs.length < plan.runs.length ? `; ${plan.runs.length - runs.length} of ${plan.runs.length} runs not started` : ''}\n`);
    // The text report says it itself; other formats on standard output get it said on stderr too.
    if (search.symmetry && format !== 'text') for (const r of runs) process.stderr.write(symmetryNotice(r.dc));
    writeReports(reports, (fmt) => renderReport(fmt, runs, plan.source));
    process.stdout.write(renderReport(format, runs, plan.source));
    return caught ? interruptedExitCode(caught) : exitCodeOf(runs);
  },
};

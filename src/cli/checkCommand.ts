import { InputError } from '../errors';
import { checkDesign } from '../iommu/checkDesign';
import { checkJson, checkText } from '../report/checkReport';
import { flagChoice, parseArgs } from './args';
import { EXIT, type Command } from './command';
import { budgetFlags, DEFAULT_DESIGN, DEFAULT_DEVICES, designByName, devicesFlag, invariantsByName, invariantsFlag } from './common';
import { flagString } from './args';
import { progressReporter } from './progress';

export const checkCommand: Command = {
  name: 'check',
  summary: 'check invariants of a design exhaustively and print shortest counterexamples',
  help: `usage: dmaown check [--design NAME] [--devices N] [--invariant NAME ...] [--format text|json]
                    [--max-states N] [--max-memory SIZE]

Explores every interleaving of the modelled callers (driver core, hot-plug, a kernel driver with
a private domain, two VFIO users) on one iommu group of N devices, breadth first, and reports
each invariant: holds, violated (with the shortest counterexample) or n/a (with the reason).

  --design NAME        design to check (default ${DEFAULT_DESIGN}; 'dmaown designs' lists them)
  --devices N          devices in the group, 1 to 8 (default ${DEFAULT_DEVICES})
  --invariant NAME     check only this invariant; repeat or comma-separate for several
                       (default: all; 'dmaown invariants' lists them)
  --format text|json   report format (default text; json is described in docs/json-output.md)
  --max-states N       stop after N distinct states (result marked incomplete, exit 3)
  --max-memory SIZE    stop before the search uses more than SIZE, e.g. 512M or 8G
                       (default: half of this machine's memory; result incomplete, exit 3)

Each counterexample is printed as numbered calls with return code, WARN and the state after
each call, followed by a 'replay:' line of events that 'dmaown replay' accepts as they are.

exit status: 0 all checked invariants hold, 1 one is violated, 2 bad usage or input,
             3 stopped by a budget before deciding (nothing violated so far)`,
  async run(argv) {
    const args = parseArgs(argv, [
      { name: 'design', kind: 'string' },
      { name: 'devices', kind: 'string' },
      { name: 'invariant', kind: 'list' },
      { name: 'format', kind: 'string' },
      { name: 'max-states', kind: 'string' },
      { name: 'max-memory', kind: 'string' },
    ], 'check');
    // `--invariant a b` lists several: names after --invariant are invariants too.
    const named = invariantsFlag(args);
    if (args.positional.length > 0 && !named) throw new InputError(`check: unexpected argument '${args.positional[0]}'`);
    const design = await designByName(flagString(args, 'design') ?? DEFAULT_DESIGN);
    const devices = devicesFlag(args);
    const invariants = await invariantsByName(named ? [...named, ...args.positional] : undefined);
    const format = flagChoice(args, 'format', ['text', 'json'] as const, 'text');
    const budget = budgetFlags(args);
    const progress = progressReporter();
    const dc = checkDesign(design, devices, invariants, { ...budget, onProgress: progress.onProgress, progressEvery: 1 << 14 });
    progress.done();
    process.stdout.write(format === 'json' ? JSON.stringify(checkJson(dc), null, 2) + '\n' : checkText(dc));
    if (dc.verdicts.some((v) => v.verdict === 'violated')) return EXIT.VIOLATED;
    if (!dc.result.complete) return EXIT.INCOMPLETE;
    return EXIT.OK;
  },
};

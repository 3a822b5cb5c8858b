import { InputError } from '../errors';
import { shardJson, shardText } from '../report/shardReport';
import { checkShardAsync, FRONTIER_PER_SHARD, MAX_SHARDS } from '../swarm/checkShard';
import { flagChoice, flagInt, flagString, parseArgs, refuseArguments } from './args';
import { EXIT, type Command } from './command';
import { budgetFlags, SEARCH_FLAG_SPECS, DEFAULT_DESIGN, DEFAULT_DEVICES, designByName, DEVICES_RANGE, devicesFlag, invariantsByName, invariantsFlag, searchFlags, switchFlag, symmetryNotice } from './common';
import { interruptedExitCode, interruptible } from './interrupt';
import { progressReporter } from './progress';
import { refuseTooLarge } from './sizeCheck';
import { reportFlags, writeReports } from './reportFlags';

const FORMATS = ['text', 'json'] as const;

/** Largest `--depth`: the prefix search stops well before (it refuses more than 2^20 states). */
const MAX_DEPTH = 1000;

export const shardCommand: Command = {
  name: 'shard',
  summary: 'check one shard of a run split for a CI matrix (merge the shards with dmaown merge)',
  help: `usage: dmaown shard --shards K --index I [--depth D] [--design NAME] [--devices N]
                    [--invariant NAME ...] [--format text|json] [--report FORMAT=FILE ...]
                    [--max-states N] [--max-memory SIZE] [--max-time DURATION]
                    [--symmetry] [--workers N] [--stop-when-decided]

Swarm mode (docs/scaling.md): a run split into K independent shards, one per job of a CI
matrix, whose JSON results 'dmaown merge' combines. Every shard searches breadth first to
depth D; the states at depth D (the frontier) are shared out by a hash of each state mod K.
Shard I then searches the states above depth D and everything reachable from its share of the
frontier. Over all shards every reachable state is searched, so the merged verdicts and the
lengths of the shortest counterexamples are check's. Shards overlap: where calls undo or
commute, as in every design here, each shard may search most of the space.

  --shards K           how many shards the run is split into, 1 to ${MAX_SHARDS} (required)
  --index I            which shard this is, 0 to K-1 (required)
  --depth D            BFS depth of the frontier, 1 to ${MAX_DEPTH} (default: the first depth with at
                       least ${FRONTIER_PER_SHARD} * K states, or the widest one); every shard of a run
                       must be given the same K and D
  --design NAME        design to check (default ${DEFAULT_DESIGN})
  --devices N          devices in the group, ${DEVICES_RANGE} (default ${DEFAULT_DEVICES})
  --invariant NAME     check only this invariant; repeat, comma-separate or list several
  --format FORMAT      text (default) or json: the input of 'dmaown merge'
                       (check's run object plus "shard", docs/json-output.md)
  --report FORMAT=FILE also write the result in FORMAT (text or json) to FILE; repeat for both
  --max-states N       stop this shard once it stores more than N distinct states (merge
                       then says unknown for what no shard decided)
  --max-memory SIZE    stop this shard before its search uses more than SIZE, e.g. 8G; a bound
                       estimated to need more is refused before searching (exit 2), as in check
  --max-time DURATION  stop this shard after DURATION, e.g. 50m (merge then says unknown)
  --symmetry           reduce by symmetry as check does; the frontier is then one of orbits
  --workers N          search on N threads (default 1), as in 'dmaown check'
  --stop-when-decided  end this shard's search once every invariant it checks is violated,
                       as 'dmaown check --stop-when-decided' does (where a BFS level begins):
                       merge's verdicts and shortest counterexamples are the same as
                       without it, and its report says they are final

Ctrl-C (SIGINT) or SIGTERM stops the search: the result is still printed and written, marked
incomplete (merge then says unknown), and the process then ends by that signal.

exit status: 0 the shard's result was printed, whatever its verdicts ('dmaown merge' decides),
             2 bad usage or input, 4 internal error; killed by SIGINT/SIGTERM (shell status
             130/143) when interrupted`,
  async run(argv) {
    const args = parseArgs(argv, [
      { name: 'shards', kind: 'string' },
      { name: 'index', kind: 'string' },
      { name: 'depth', kind: 'string' },
      { name: 'design', kind: 'string' },
      { name: 'devices', kind: 'string' },
      { name: 'invariant', kind: 'list' },
      { name: 'format', kind: 'string' },
      { name: 'report', kind: 'list' },
      ...SEARCH_FLAG_SPECS,
      { name: 'stop-when-decided', kind: 'bool' },
    ], 'shard');
    const named = invariantsFlag(args);
    if (!named) refuseArguments(args, 'shard');
    for (const f of ['shards', 'index']) if (flagString(args, f) === undefined) throw new InputError(`shard: --${f} is required (see 'dmaown shard --help')`);
    const shards = flagInt(args, 'shards', 1, 1, MAX_SHARDS, 'the number of shards');
    const index = flagInt(args, 'index', 0, 0, shards - 1, `with --shards ${shards} the shard index`);
    const depth = flagString(args, 'depth') === undefined ? undefined : flagInt(args, 'depth', 1, 1, MAX_DEPTH, 'the depth of the frontier');
    const format = flagChoice(args, 'format', FORMATS, 'text');
    const reports = reportFlags(args, FORMATS);
    const design = await designByName(flagString(args, 'design') ?? DEFAULT_DESIGN, () => 'a sharded run checks one design: run one set of shards per design');
    const devices = devicesFlag(args);
    const invariants = await invariantsByName(named ? [...named, ...args.positional] : undefined);
    const search = searchFlags(args);
    const budget = budgetFlags(args);
    const stopWhenDecided = switchFlag(args, 'stop-when-decided');
    const progress = progressReporter();
    // Ctrl-C or a CI runner's SIGTERM stops the search; the shard's result is still written. As
    // in check, the signals are handled from before the size estimate on.
    const { value: sc, caught } = await interruptible(
      (signal) => {
        // As check: a bound estimated not to fit the memory budget is refused (a shard stores
        // the states under its part of the frontier, on these designs nearly all of them).
        const [size] = refuseTooLarge('shard', [{ design, devices, invariants, symmetry: search.symmetry, maxStates: budget.maxStates, maxMemory: budget.maxMemory }],
          { stopWhenDecided });
        // A shard stores about as many states as the whole search, as said above.
        progress.label('', size?.states);
        return checkShardAsync(design, devices, invariants, { ...budget, ...search, stopWhenDecided, shards, index, depth, onProgress: progress.onProgress, progressEvery: 1 << 14, signal });
      },
      progress.done,
    );
    if (caught) process.stderr.write(`dmaown: interrupted by ${caught}: the shard's result covers what was explored\n`);
    if (search.symmetry) process.stderr.write(symmetryNotice(sc.dc));
    const render = (f: (typeof FORMATS)[number]) => (f === 'json' ? JSON.stringify(shardJson(sc), null, 2) + '\n' : shardText(sc));
    writeReports(reports, render);
    process.stdout.write(render(format));
    return caught ? interruptedExitCode(caught) : EXIT.OK;
  },
};

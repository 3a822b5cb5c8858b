import { InputError } from '../errors';
import { loadDesigns } from '../iommu/designRegistry';
import { loadInvariants } from '../iommu/invariantRegistry';
import { parseJson } from '../jsonText';
import { checkJunit } from '../report/junitReport';
import { checkMarkdown } from '../report/markdownReport';
import { mergeJson, mergeText } from '../report/mergeReport';
import { mergedDesignCheck } from '../swarm/mergedDesignCheck';
import { mergedExitCode, mergeShards } from '../swarm/mergeShards';
import { flagChoice, parseArgs } from './args';
import type { Command } from './command';
import { designByName, invariantsByName } from './common';
import { readInput } from './input';
import { parseJsonDocuments } from './jsonDocuments';
import { reportFlags, writeReports } from './reportFlags';

const FORMATS = ['text', 'json', 'junit', 'md'] as const;

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'combine the JSON results of every shard of a run into its verdicts',
  help: `usage: dmaown merge [--format text|json|junit|md] [--report FORMAT=FILE ...] FILE ...

Reads the 'dmaown shard --format json' result of every shard of one run (one file each, any
order; FILE '-' reads standard input: results one after the other, as 'cat shard-*.json'
gives, or one JSON array of them) and prints the run's verdicts. The shards must agree on design, bound, invariants,
number of shards, depth, symmetry and the search to that depth, and each index 0 to K-1 must be
given once; otherwise merge names the problem and exits 2.

Per invariant: violated if any shard found it violated, with the shortest counterexample over
the shards (ties: the lowest shard index), which replays with 'dmaown replay' as it is (merge
replays it and exits 2 if it does not end in a violation of that invariant; the explanation
printed comes from that replay, not from the file); holds
if every shard completed and it holds in each; otherwise unknown. States and transitions are
given per shard and summed: the sum is an upper bound on the distinct states, since shards
overlap.

  --format FORMAT   text (default); json (check's run object with summed counts and a
                    "swarm" field, docs/json-output.md); junit or md (as check's; they say
                    that the counts are summed over the shards)
  --report FORMAT=FILE
                    also write the result in FORMAT to FILE; repeat for several

exit status: 0 every invariant holds or is n/a, 1 one is violated, 2 bad usage or input,
             3 a shard stopped early (budget) and nothing is violated, 4 internal error`,
  async run(argv) {
    const args = parseArgs(argv, [{ name: 'format', kind: 'string' }, { name: 'report', kind: 'list' }], 'merge');
    const format = flagChoice(args, 'format', FORMATS, 'text');
    const reports = reportFlags(args, FORMATS);
    const files = args.positional;
    if (files.length === 0) throw new InputError("merge: no shard files given (see 'dmaown merge --help')");
    if (files.filter((f) => f === '-').length > 1) throw new InputError("merge: '-' (standard input) can be given once");
    const inputs = files.flatMap((file) => {
      const text = readInput(file);
      if (file === '-') {
        // Standard input: the shards' documents one after the other, or one JSON array of them.
        let docs: unknown[];
        try {
          docs = parseJsonDocuments(text);
        } catch (e) {
          throw new InputError(`merge: standard input: ${(e as Error).message}`);
        }
        if (docs.length === 1 && Array.isArray(docs[0])) docs = docs[0];
        if (docs.length === 0) throw new InputError('merge: standard input holds no shard result');
        return docs.map((doc, k) => ({ file: `standard input #${k + 1}`, doc }));
      }
      return [{ file, doc: parseJson(text, `merge: ${file}`) }];
    });
    const merged = mergeShards(inputs, { designs: (await loadDesigns()).map((d) => d.name), invariants: (await loadInvariants()).map((i) => i.name) });
    const design = await designByName(merged.design);
    const invariants = await invariantsByName(merged.invariants.map((v) => v.name));
    const dc = mergedDesignCheck(merged, design, invariants);
    const run = { dc, expect: {}, shards: merged.shards.length };
    const render = (f: (typeof FORMATS)[number]): string => {
      switch (f) {
        case 'text': return mergeText(merged, dc);
        case 'json': return JSON.stringify(mergeJson(merged, dc), null, 2) + '\n';
        case 'junit': return checkJunit([run]);
        case 'md': return checkMarkdown([run]);
      }
    };
    writeReports(reports, render);
    process.stdout.write(render(format));
    return mergedExitCode(merged);
  },
};

import { InputError } from '../errors';
import { loadDesigns } from '../iommu/designRegistry';
import { loadInvariants } from '../iommu/invariantRegistry';
import { parseJson } from '../jsonText';
import { checkJunit } from '../report/junitReport';
import { checkMarkdown } from '../report/markdownReport';
import { mergeJson, mergeText } from '../report/mergeReport';
import { checkedVerdicts, mergedDesignCheck } from '../swarm/mergedDesignCheck';
import { knownNames, MAX_COUNTEREXAMPLE_CALLS, mergedExitCode, mergeShards, type ShardInput } from '../swarm/mergeShards';
import { shortcutRank } from '../swarm/shortcutRank';
import { flagChoice, parseArgs } from './args';
import type { Command } from './command';
import { designByName, invariantsByName } from './common';
import { readInput } from './input';
import { parseJsonDocuments } from './jsonDocuments';
import { refuseReportsOverInputs, reportFlags, writeReports } from './reportFlags';

const FORMATS = ['text', 'json', 'junit', 'md'] as const;

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'combine the JSON results of every shard of a run into its verdicts',
  help: `usage: dmaown merge [--format text|json|junit|md] [--report FORMAT=FILE ...] FILE ...

Reads the 'dmaown shard --format json' result of every shard of one run (any order; a FILE
holds one result or one JSON array of them; FILE '-' reads standard input: results one after
the other, as 'cat shard-*.json' gives, or one JSON array of them) and prints the run's
verdicts. The shards must agree on design, bound, invariants, number of shards, depth,
symmetry and the search to that depth, and each index 0 to K-1 must be given once; every
shard's counterexamples must be replay events no longer than that shard searched (its depth
plus one call, or the depth of the split, and at most ${MAX_COUNTEREXAMPLE_CALLS.toLocaleString('en-US')} calls); otherwise
merge names the problem and exits 2.

Per invariant: n/a where the design rules it out (with the design's reason; a shard that says
otherwise is refused, exit 2); violated if any shard found it violated, with the shortest
counterexample over the shards (ties: one without the model's one-group shortcut first, then
the lowest shard index; a tied one that does not replay is refused, exit 2), which replays
with 'dmaown replay' as it is (merge replays it and exits 2 if it does not end in a violation
of that invariant; the explanation and trace printed come from that replay, not from the
file); holds if every shard completed and it holds in each; otherwise unknown. A shard that
'dmaown shard --stop-when-decided' stopped once every invariant it checks was violated keeps
the shortest counterexamples exact: when every shard that stopped early stopped so, the report
says the verdicts are final. States and transitions are given per shard and summed: the sum
is an upper bound on the distinct states, since shards overlap.

  --format FORMAT   text (default); json (check's run object with summed counts and a
                    "swarm" field, docs/json-output.md); junit or md (as check's; they say
                    that the counts are summed over the shards)
  --report FORMAT=FILE
                    also write the result in FORMAT to FILE (not one of the shard
                    files); repeat for several

exit status: 0 every invariant holds or is n/a, 1 one is violated, 2 bad usage or input,
             3 a shard stopped early (budget) and nothing is violated, 4 internal error`,
  async run(argv) {
    const args = parseArgs(argv, [{ name: 'format', kind: 'string' }, { name: 'report', kind: 'list' }], 'merge');
    const format = flagChoice(args, 'format', FORMATS, 'text');
    const reports = reportFlags(args, FORMATS);
    const files = args.positional;
    if (files.length === 0) throw new InputError("merge: no shard files given (see 'dmaown merge --help')");
    if (files.filter((f) => f === '-').length > 1) throw new InputError("merge: '-' (standard input) can be given once");
    // A report written over a shard file would replace it with the merged result.
    refuseReportsOverInputs(reports, files);
    const inputs = shardInputs(files);
    const designs = await loadDesigns();
    const merged = mergeShards(inputs, knownNames(designs, await loadInvariants()), shortcutRank(designs));
    const design = await designByName(merged.design);
    const invariants = await invariantsByName(merged.invariants.map((v) => v.name));
    const dc = mergedDesignCheck(merged, design, invariants);
    // What the reports print: the verdicts as the design and the replays establish them, not as the files put them.
    const checked = { ...merged, invariants: checkedVerdicts(merged, dc) };
    const run = { dc, expect: {}, shards: merged.shards.length };
    const render = (f: (typeof FORMATS)[number]): string => {
      switch (f) {
        case 'text': return mergeText(checked, dc);
        case 'json': return JSON.stringify(mergeJson(checked, dc), null, 2) + '\n';
        case 'junit': return checkJunit([run]);
        case 'md': return checkMarkdown([run]);
      }
    };
    writeReports(reports, render);
    process.stdout.write(render(format));
    return mergedExitCode(merged);
  },
};

/**
 * The shard documents in `files` (`read` gives a file's text): a file holds one document or one
 * JSON array of them; `-`, standard input, holds documents one after the other or one JSON
 * array. The documents of an array (and of standard input) are named by position, as
 * `shards.json #2`; an empty array or input is an InputError.
 */
export function shardInputs(files: readonly string[], read: (file: string) => string = readInput): ShardInput[] {
  return files.flatMap((file) => {
    const text = read(file);
    const name = file === '-' ? 'standard input' : file;
    let docs: unknown[];
    if (file === '-') {
      // Standard input: the shards' documents one after the other, or one JSON array of them.
      try {
        docs = parseJsonDocuments(text);
      } catch (e) {
        throw new InputError(`merge: standard input: ${(e as Error).message}`);
      }
      if (docs.length === 1 && Array.isArray(docs[0])) docs = docs[0];
    } else {
      const doc = parseJson(text, `merge: ${file}`);
      if (!Array.isArray(doc)) return [{ file, doc }];
      docs = doc;
    }
    if (docs.length === 0) throw new InputError(`merge: ${name} holds no shard result`);
    return docs.map((doc, k) => ({ file: `${name} #${k + 1}`, doc }));
  });
}

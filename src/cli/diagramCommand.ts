import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { updateDesignDocs } from '../diagram/designDocs';
import { SELF_LOOP_CHOICES, type SelfLoops } from '../diagram/labels';
import { reachableDot } from '../diagram/reachableDot';
import { reachableGraph, REACHABLE_MAX_EDGES, REACHABLE_MAX_STATES } from '../diagram/reachableGraph';
import { reachableMermaid } from '../diagram/reachableMermaid';
import { renderSvg } from '../diagram/renderSvg';
import { sequenceMermaid } from '../diagram/sequenceMermaid';
import { deriveStatechart, STATECHART_DEVICES } from '../diagram/statechart';
import { statechartDot } from '../diagram/statechartDot';
import { statechartMermaid } from '../diagram/statechartMermaid';
import { InputError } from '../errors';
import { checkForDiagram } from '../diagram/checkForDiagram';
import type { SizeEstimate } from '../iommu/sizeEstimate';
import { loadDesigns } from '../iommu/designRegistry';
import { MAX_DEVICES, MIN_DEVICES } from '../model/vocabulary';
import { flagChoice, flagInt, flagList, flagString, parseArgs, refuseArguments } from './args';
import { EXIT, type Command } from './command';
import { DEFAULT_MAX_MEMORY, designByName, invariantsByName } from './common';
import { unwritable } from './reportFlags';
import { progressReporter } from './progress';
import { refuseTooLarge } from './sizeCheck';
import { plural } from '../report/plural';
import { notApplicableReason } from '../iommu/invariant';

/**
 * With --invariant, on a bound estimated too large to search whole: the states its check looks
 * through for the counterexample before it gives up (about half a minute here).
 */
export const DIAGRAM_FIRST_STATES = 10_000_000;

/** The refusal of --sequence for an invariant the design rules out. */
const notApplicableText = (invariant: string, design: string, devices: number) =>
  `${invariant} is not applicable to ${design} at ${plural(devices, 'device')}: no counterexample to draw`;

const FORMATS = ['mermaid', 'dot', 'svg'] as const;

export const diagramCommand: Command = {
  name: 'diagram',
  summary: "draw a design's statechart, its reachable states, or a counterexample",
  help: `usage: dmaown diagram --design NAME [--format mermaid|dot|svg] [--out FILE] [--devices N]
                      [--self-loops none|errors|all]
       dmaown diagram --design NAME --reachable [--devices N] [--depth D] [--invariant NAME]
                      [--format mermaid|dot|svg] [--out FILE]
       dmaown diagram --design NAME --sequence [--invariant NAME] [--devices N] [--out FILE]
       dmaown diagram --update-docs [--check]

The statechart (default): the group's four states and the calls between them, each labelled
'call [guard]' with the guard of the machine's alternative that fired. The machine handles
every kernel call at its root, so the edges are derived by running it: every state reachable
at N devices (default ${STATECHART_DEVICES}) is walked and every caller action run. The edges are what
the machine does at that bound. Calls that leave a state unchanged are listed in the state
(--self-loops: none, errors = those that fail or warn, all; default errors, none for mermaid).

--reachable draws the reachable states within D calls of the start (default: the length of the
highlighted counterexample, else all), marks the states that break an invariant, and highlights
the shortest counterexample of --invariant (default: the first violated). Only calls one step
deeper are drawn. More than ${REACHABLE_MAX_STATES} states or ${REACHABLE_MAX_EDGES} drawn calls is refused: nobody can read it.
--reachable and --sequence check the bound first, as check does, with its progress line on a
terminal (with --depth D, a graph too large to draw is refused before that check). With
--invariant only that invariant is checked, and the check stops once the BFS level of its first
counterexample (the whole search's) is stored and checked (for viability, the level after its
first stuck state); without it, every invariant is checked over the whole bound (an invariant
that holds needs every state). A bound estimated too large for half of the memory is refused,
except with --invariant: its counterexample is then looked for in the bound's first
${DIAGRAM_FIRST_STATES.toLocaleString('en-US')} states.

--sequence prints the counterexample of --invariant (default: the first violated) as a Mermaid
sequence diagram: driver core, kernel driver, each VFIO user, and the IOMMU core.

--update-docs regenerates the diagram between the markers of each docs/designs/<name>.md and
docs/designs/img/<name>.svg; with --check it writes nothing and exits 1 if any is stale, or
if a design has no doc with the markers (without --check such a design is skipped, with a
warning).

  --design NAME              the design to draw ('dmaown designs' lists them)
  --devices N                devices in the group, ${MIN_DEVICES} to ${MAX_DEVICES} (default ${STATECHART_DEVICES}, for all three)
  --depth D                  with --reachable: draw the states within D calls, 0 to 1000
  --invariant NAME           with --reachable or --sequence: whose counterexample to draw
  --format mermaid|dot|svg   mermaid (for GitHub markdown; default), Graphviz dot, or svg
                             (rendered in-process by Graphviz compiled to WebAssembly);
                             --sequence is mermaid only
  --out FILE                 write to FILE instead of standard output (- : standard output)

exit status: 0 drawn, 1 docs stale or missing (--update-docs --check), 2 bad usage or input,
             4 internal error`,
  async run(argv) {
    const args = parseArgs(argv, [
      { name: 'design', kind: 'string' },
      { name: 'devices', kind: 'string' },
      { name: 'format', kind: 'string' },
      { name: 'out', kind: 'string' },
      { name: 'self-loops', kind: 'string' },
      { name: 'reachable', kind: 'bool' },
      { name: 'sequence', kind: 'bool' },
      { name: 'depth', kind: 'string' },
      { name: 'invariant', kind: 'list' },
      { name: 'update-docs', kind: 'bool' },
      { name: 'check', kind: 'bool' },
    ], 'diagram');
    refuseArguments(args, 'diagram');
    const bool = (n: string) => {
      const v = flagString(args, n);
      if (v !== undefined && v !== 'true' && v !== 'false') throw new InputError(`--${n} takes no value, got '${v}'`);
      return v === 'true';
    };

    if (bool('update-docs')) {
      const others = [...args.flags.keys()].filter((k) => k !== 'update-docs' && k !== 'check');
      if (others.length) throw new InputError(`diagram --update-docs takes only --check, got --${others[0]}`);
      const check = bool('check');
      const status = await updateDesignDocs(await loadDesigns(), check);
      const rel = (p: string) => relative(process.cwd(), p);
      for (const n of status.unmarked) process.stderr.write(`dmaown: docs/designs/${n}.md is missing or has no '<!-- BEGIN GENERATED DIAGRAM -->' / '<!-- END GENERATED DIAGRAM -->' lines: ${check ? 'not current' : 'skipped'}\n`);
      for (const p of status.stale) process.stdout.write(`${check ? 'stale' : 'updated'}: ${rel(p)}\n`);
      return check && (status.stale.length > 0 || status.unmarked.length > 0) ? EXIT.VIOLATED : EXIT.OK;
    }
    if (bool('check')) throw new InputError('--check goes with --update-docs');

    const name = flagString(args, 'design');
    if (name === undefined) throw new InputError('diagram: --design NAME is needed (dmaown designs lists them)');
    const design = await designByName(name);
    const devices = flagInt(args, 'devices', STATECHART_DEVICES, MIN_DEVICES, MAX_DEVICES, 'the number of devices');
    const format = flagChoice(args, 'format', FORMATS, 'mermaid');
    const reachable = bool('reachable');
    const sequence = bool('sequence');
    if (reachable && sequence) throw new InputError('--reachable and --sequence draw different things: pick one');
    const invariantNames = flagList(args, 'invariant');
    if (invariantNames && invariantNames.length > 1) throw new InputError(`--invariant names the one counterexample to show, got ${invariantNames.length}`);
    const invariantName = invariantNames?.[0];
    if (!reachable && args.flags.has('depth')) throw new InputError('--depth goes with --reachable');
    if (!reachable && !sequence && args.flags.has('invariant')) throw new InputError('--invariant goes with --reachable or --sequence');
    if ((reachable || sequence) && args.flags.has('self-loops')) throw new InputError('--self-loops goes with the statechart');

    if (sequence && format !== 'mermaid') throw new InputError('--sequence is drawn in mermaid only');
    // `--out -` is standard output; a file that cannot be written is refused before any search.
    const out = flagString(args, 'out') === '-' ? undefined : flagString(args, 'out');
    const outProblem = out === undefined ? null : unwritable(out);
    if (outProblem) throw new InputError(`--out ${out}: cannot write: ${outProblem}`);
    const depth = args.flags.has('depth') ? flagInt(args, 'depth', 0, 0, 1000, 'the depth') : undefined;
    // Both pictures of counterexamples check the bound first (checkForDiagram: until decided).
    const invariants = await invariantsByName(undefined);
    // The check's progress line goes to stderr on a terminal only, never in CI, as check's does.
    const progress = progressReporter();
    let firstStates: number | undefined;
    if (sequence || reachable) {
      if (invariantName !== undefined) await invariantsByName([invariantName]);
      const named = invariants.find((i) => i.name === invariantName);
      // An invariant the design rules out has no counterexample at any bound: said without a search.
      if (sequence && named && notApplicableReason(design, named) !== undefined) throw new InputError(notApplicableText(named.name, design.name, devices));
      let size: SizeEstimate | null = null;
      try {
        [size] = refuseTooLarge('diagram', [{ design, devices, invariants, symmetry: false, maxMemory: DEFAULT_MAX_MEMORY }], { devicesOnly: true });
      } catch (e) {
        // Too large to search whole, but one invariant's counterexample may still be a few calls
        // deep: it is looked for in the bound's first states (checkForDiagram's firstStates).
        if (!(e instanceof InputError) || !named) throw e;
        firstStates = DIAGRAM_FIRST_STATES;
      }
      progress.label('', size?.states);
    }
    const checkOptions = { maxMemory: DEFAULT_MAX_MEMORY, onProgress: progress.onProgress, ...(firstStates === undefined ? {} : { firstStates }) };
    let text: string;
    try {
      if (sequence) {
        // With --invariant, only that one is checked, so the check stops once it is violated.
        const checked = invariantName !== undefined ? invariants.filter((i) => i.name === invariantName) : invariants;
        const dc = checkForDiagram(design, devices, checked, checkOptions);
        const v = invariantName !== undefined ? dc.verdicts.find((x) => x.name === invariantName) : dc.verdicts.find((x) => x.verdict === 'violated');
        if (!v) throw new InputError(`${design.name} at ${plural(devices, 'device')} violates no invariant: no counterexample to draw`);
        if (v.verdict === 'n/a') throw new InputError(notApplicableText(v.name, design.name, devices));
        if (v.verdict !== 'violated') throw new InputError(`${v.name} is ${v.verdict === 'holds' ? 'not violated by' : 'undecided for'} ${design.name} at ${plural(devices, 'device')}: no counterexample to draw`);
        text = sequenceMermaid(design, devices, v);
      } else if (reachable) {
        const g = reachableGraph(design, devices, invariants, { invariant: invariantName, depth, ...checkOptions });
        text = format === 'mermaid' ? reachableMermaid(design, g) : reachableDot(design, g);
      } else {
        const sc = deriveStatechart(design, devices);
        const selfLoops = flagChoice(args, 'self-loops', SELF_LOOP_CHOICES, format === 'mermaid' ? 'none' : 'errors') as SelfLoops;
        text = format === 'mermaid' ? statechartMermaid(sc, selfLoops) : statechartDot(sc, selfLoops);
      }
    } finally {
      progress.done();
    }
    if (format === 'svg' && !sequence) text = await renderSvg(text);
    if (out === undefined) process.stdout.write(text);
    else {
      try {
        writeFileSync(out, text);
      } catch (e) {
        throw new InputError(`--out ${out}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    return EXIT.OK;
  },
};

import { DECIDED_REASON } from '../core/searchLoop';
import { cut, InputError } from '../errors';
import type { Design } from '../iommu/design';
import { parseEvent, type IommuEvent } from '../iommu/events';
import { notApplicableReason, type Invariant } from '../iommu/invariant';
import { MAX_SHARDS, type ShardTag } from './checkShard';
import { MAX_DEVICES, MAX_DEVICES_SYMMETRY, MIN_DEVICES } from '../model/vocabulary';

/** One shard's `dmaown shard --format json` document, as read from `file`. */
export interface ShardInput {
  readonly file: string;
  readonly doc: unknown;
}

/** The design and invariant names merge knows (every loaded design and invariant), to refuse others naming the file. */
export interface KnownNames {
  readonly designs: readonly string[];
  readonly invariants: readonly string[];
  /**
   * Why `invariant` cannot apply to `design` (both known names), or undefined where it applies:
   * with it, a verdict that says otherwise is refused naming the file, and an n/a verdict's
   * reason is this, not the file's.
   */
  readonly notApplicable?: (design: string, invariant: string) => string | undefined;
}

/** KnownNames for these designs and invariants, with what each design rules out. */
export function knownNames(designs: readonly Design[], invariants: readonly Invariant[]): KnownNames {
  return {
    designs: designs.map((d) => d.name),
    invariants: invariants.map((i) => i.name),
    notApplicable(design, invariant) {
      const d = designs.find((x) => x.name === design);
      const inv = invariants.find((x) => x.name === invariant);
      return d && inv ? notApplicableReason(d, inv) : undefined;
    },
  };
}

/** A verdict object of the JSON schema (docs/json-output.md), as a shard wrote it (its counterexample read as replay events). */
export interface JsonVerdict {
  readonly name: string;
  readonly verdict: 'holds' | 'violated' | 'unknown' | 'n/a';
  readonly states?: number;
  readonly reason?: string;
  readonly explanation?: string;
  readonly counterexample?: readonly IommuEvent[];
  readonly trace?: readonly unknown[];
}

/** A merged verdict: a shard's verdict object; a violation also names the shard whose counterexample it is. */
export type MergedVerdict = JsonVerdict & { readonly shard?: number };

/** What one shard did. */
export interface ShardSummary {
  readonly index: number;
  readonly roots: number;
  readonly complete: boolean;
  readonly stopReason?: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly elapsedMs: number;
}

/** The run the shards were part of, and the merged verdicts. */
export interface MergedCheck {
  readonly design: string;
  readonly devices: number;
  /** The shards' common tag, without `index` and `roots`. */
  readonly run: Omit<ShardTag, 'index' | 'roots'>;
  /** Every shard, by index. */
  readonly shards: readonly ShardSummary[];
  /** Every shard completed. */
  readonly complete: boolean;
  /**
   * When not complete: DECIDED_REASON if every shard that stopped early stopped once all it
   * checks was decided (`--stop-when-decided`; the merged verdicts are then final), else the
   * stopped shards' reasons, as "shard I: reason; ...".
   */
  readonly stopReason?: string;
  /** Sums over the shards: an upper bound on the distinct states and transitions (shards overlap). */
  readonly states: number;
  readonly transitions: number;
  /** The deepest shard search. */
  readonly depth: number;
  /** Sum of the shards' times. */
  readonly elapsedMs: number;
  readonly invariants: readonly MergedVerdict[];
}

interface Parsed {
  readonly file: string;
  readonly design: string;
  readonly devices: number;
  readonly tag: ShardTag;
  readonly summary: ShardSummary;
  readonly invariants: readonly JsonVerdict[];
}

const VERDICTS = ['holds', 'violated', 'unknown', 'n/a'];
/**
 * The most calls a shard's counterexample may have, whatever depths its file gives: far past
 * the depth of any search of these designs (27 for v7 at 3 devices), and few enough that the
 * replay of one (each step a copy of the state) fits in memory.
 */
export const MAX_COUNTEREXAMPLE_CALLS = 100_000;
/** A count as a shard writes it: a whole number that a double holds exactly (not 1e308). */
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const COUNT = `a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`;
/** Control characters (a newline among them), which no text a shard writes holds and which would break a report's lines. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** What is wrong with `text` as one line of text a shard writes ('empty', or a control character in it), or null. */
const oneLineProblem = (text: string): string | null => (text === '' ? 'empty' : CONTROL.test(text) ? 'not one line of text (it has a control character)' : null);

/**
 * Checks one document's shape; an InputError names the file and the first field that is wrong.
 * With `known`, the design and the invariants must be among those names.
 */
function parseShard(input: ShardInput, known?: KnownNames): Parsed {
  const { file, doc } = input;
  const bad = (what: string): never => { throw new InputError(`merge: ${file}: ${what}`); };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad('not a JSON object (expected the output of \'dmaown shard --format json\')');
  const d = doc as Record<string, unknown>;
  if (d.shard === undefined) bad('no "shard" field: not the output of \'dmaown shard --format json\'');
  const s = d.shard as Record<string, unknown>;
  if (typeof s !== 'object' || s === null) bad('"shard" is not an object');
  for (const k of ['index', 'of', 'depth', 'prefixStates', 'frontier', 'roots'] as const) if (!isCount(s[k])) bad(`"shard.${k}" is not ${COUNT}`);
  if ((s.of as number) < 1 || (s.of as number) > MAX_SHARDS) bad(`"shard.of" is not from 1 to ${MAX_SHARDS} (what 'dmaown shard --shards' accepts)`);
  if (typeof s.symmetry !== 'boolean') bad('"shard.symmetry" is not true or false');
  if (s.reducedBy !== null && typeof s.reducedBy !== 'string') bad('"shard.reducedBy" is not a string or null');
  // A shard reduces only when --symmetry was given (checkShard); what it was reduced by is one line.
  if (s.reducedBy !== null && !s.symmetry) bad('"shard.reducedBy" is not null, but "shard.symmetry" is false: a shard is reduced only with --symmetry');
  const reducedByProblem = typeof s.reducedBy === 'string' ? oneLineProblem(s.reducedBy) : null;
  if (reducedByProblem) bad(`"shard.reducedBy" is ${reducedByProblem}: not what a shard writes`);
  // prefixDigest: eight hex digits (printed in the report's header line).
  if (typeof s.digest !== 'string' || !/^[0-9a-f]{8}$/.test(s.digest)) bad('"shard.digest" is not 8 hex digits (what a shard writes)');
  if (typeof d.design !== 'string') bad('"design" is not a string');
  if (known && !known.designs.includes(d.design as string)) {
    const names = `(known: ${known.designs.join(', ')})`;
    // A shard checks one design; a list is what 'dmaown compare' takes, not a shard result.
    if ((d.design as string).split(',').every((n) => known.designs.includes(n.trim()))) bad(`"design": '${cut(d.design as string, 60)}' is a list of designs, but a shard result names one ${names}`);
    bad(`"design": unknown design '${cut(d.design as string, 60)}' ${names}`);
  }
  // What 'dmaown shard --devices' accepts with the shard's own --symmetry (cli/common devicesFlag).
  const maxDevices = s.symmetry ? MAX_DEVICES_SYMMETRY : MAX_DEVICES;
  if (!isCount(d.devices) || d.devices < MIN_DEVICES || d.devices > maxDevices) {
    const takes = s.symmetry ? "what 'dmaown shard --symmetry' takes" : `what 'dmaown shard' takes without --symmetry ("shard.symmetry" is false; up to ${MAX_DEVICES_SYMMETRY} with it)`;
    bad(`"devices" is not a whole number from ${MIN_DEVICES} to ${maxDevices}, ${takes}`);
  }
  if (typeof d.complete !== 'boolean') bad('"complete" is not true or false');
  // A shard that stopped early says why, in one line (and a complete one says nothing).
  const stopProblem = d.complete !== false ? null : typeof d.stopReason !== 'string' ? 'missing or not a string' : oneLineProblem(d.stopReason);
  if (stopProblem) bad(`"complete" is false but "stopReason" is ${stopProblem}: a shard that stopped early writes why, in one line`);
  if (d.complete === true && d.stopReason !== undefined) bad('"complete" is true but there is a "stopReason": a shard that completed writes none');
  for (const k of ['states', 'transitions', 'depth', 'elapsedMs'] as const) if (!isCount(d[k])) bad(`"${k}" is not ${COUNT}`);
  if (!Array.isArray(d.invariants)) bad('"invariants" is not an array');
  // A shard checks at least one invariant: an empty list would merge to nothing checked.
  if ((d.invariants as unknown[]).length === 0) bad('"invariants" is empty: a shard checks at least one invariant');
  /**
   * A counterexample read as replay events. Every one is read, not only the one merge prints
   * (so that whether a file is refused does not depend on which shard's is shortest), and must
   * be no longer than the shard's search went: a path to a state it stored (at most `depth`
   * calls), one call more for a WARN, or a path inside the prefix (below `shard.depth`); and at
   * most MAX_COUNTEREXAMPLE_CALLS calls, whatever the file says its depths are.
   */
  const readCounterexample = (ce: readonly unknown[], what: string): IommuEvent[] => {
    const most = Math.min(Math.max((d.depth as number) + 1, s.depth as number), MAX_COUNTEREXAMPLE_CALLS);
    if (ce.length > most) {
      bad(`${what}: a counterexample of ${ce.length.toLocaleString('en-US')} calls, longer than the shard's search went (depth ${d.depth as number}, prefix depth ${s.depth as number}): at most ${most.toLocaleString('en-US')} calls`);
    }
    return ce.map((e, k) => parseEvent(e, d.devices as number, `merge: ${file}: ${what} counterexample step ${k}`));
  };
  const seen = new Map<string, number>();
  const invariants = (d.invariants as unknown[]).map((v, i): JsonVerdict => {
    const o = v as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || !VERDICTS.includes(o.verdict as string)) bad(`invariants[${i}] is not a verdict object`);
    const name = cut(o.name as string, 60);
    if (known && !known.invariants.includes(o.name as string)) bad(`invariants[${i}]: unknown invariant '${name}' (known: ${known.invariants.join(', ')})`);
    if (seen.has(o.name as string)) bad(`invariants[${i}]: ${name} is listed twice (also invariants[${seen.get(o.name as string)}]); a shard checks each invariant once`);
    seen.set(o.name as string, i);
    if (o.verdict === 'violated' && (!Array.isArray(o.counterexample) || !Array.isArray(o.trace) || typeof o.explanation !== 'string')) bad(`invariants[${i}] (${name}): a violation without counterexample, trace or explanation`);
    if (o.verdict !== 'n/a' && !isCount(o.states)) bad(`invariants[${i}] (${name}): "states" is not ${COUNT}`);
    if (o.verdict === 'n/a' && (typeof o.reason !== 'string' || o.reason === '')) bad(`invariants[${i}] (${name}): "reason" is not a string: an n/a verdict says why`);
    // Whether an invariant applies is the design's to say (as check decides it), not the file's.
    const na = known?.notApplicable?.(d.design as string, o.name as string);
    if (na !== undefined && o.verdict !== 'n/a') bad(`invariants[${i}] (${name}): the shard says ${o.verdict as string}, but it is n/a for ${d.design as string} (${na})`);
    if (na === undefined && known?.notApplicable && o.verdict === 'n/a') bad(`invariants[${i}] (${name}): the shard says n/a, but it applies to ${d.design as string}`);
    // Only the fields of a verdict object (docs/json-output.md): nothing else from the file is passed on.
    switch (o.verdict) {
      case 'n/a': return { name: o.name as string, verdict: 'n/a', reason: na ?? (o.reason as string) };
      case 'violated': {
        const counterexample = readCounterexample(o.counterexample as unknown[], `invariants[${i}] (${name})`);
        return { name: o.name as string, verdict: 'violated', states: o.states as number, explanation: o.explanation as string, counterexample, trace: o.trace as unknown[] };
      }
      default: return { name: o.name as string, verdict: o.verdict as 'holds' | 'unknown', states: o.states as number };
    }
  });
  // A decided stop (--stop-when-decided) ends a search only once every invariant it checks is violated.
  if (d.complete === false && d.stopReason === DECIDED_REASON) {
    const open = invariants.find((v) => v.verdict !== 'violated' && v.verdict !== 'n/a');
    if (open) bad(`"stopReason" says every invariant was decided, but ${cut(open.name, 60)}'s verdict is ${open.verdict}: a shard stops once decided only when each invariant it checks is violated (or n/a)`);
    if (!invariants.some((v) => v.verdict === 'violated')) bad('"stopReason" says every invariant was decided, but none is violated: a shard with nothing to decide searches to its end');
  }
  const tag = s as unknown as ShardTag;
  if (tag.index >= tag.of) bad(`shard index ${tag.index} is out of range for ${tag.of} shards`);
  return {
    file,
    design: d.design as string,
    devices: d.devices as number,
    tag,
    invariants,
    summary: {
      index: tag.index, roots: tag.roots, complete: d.complete as boolean,
      ...(d.complete ? {} : { stopReason: d.stopReason as string }),
      states: d.states as number, transitions: d.transitions as number, depth: d.depth as number, elapsedMs: d.elapsedMs as number,
    },
  };
}

/** What must be the same in every shard of one run, as (label, value) pairs. */
function identity(p: Parsed): [string, unknown][] {
  const t = p.tag;
  return [
    ['design', p.design], ['devices', p.devices], ['invariants', p.invariants.map((v) => v.name).join(',')],
    ['shards', t.of], ['depth', t.depth], ['symmetry', t.symmetry], ['reduction', t.reducedBy],
    ['prefix states', t.prefixStates], ['frontier', t.frontier], ['prefix digest', t.digest],
  ];
}

const length = (v: JsonVerdict) => v.counterexample!.length;

/** The sum of counts a shard wrote; an InputError if it is past what a double holds exactly. */
function total(counts: readonly number[], what: string): number {
  let n = 0;
  for (const c of counts) {
    n += c;
    if (n > Number.MAX_SAFE_INTEGER) throw new InputError(`merge: the shards' ${what} add up to more than ${Number.MAX_SAFE_INTEGER}: not counts a shard writes`);
  }
  return n;
}

/** At most this many items in a list of shard indexes; past it, the first few and how many more. */
const LIST_ITEMS = 10;

/**
 * Sorted indexes as a short list: consecutive runs of three or more as ranges, the last item
 * after "and" ("1, 3 to 7 and 9"); past LIST_ITEMS items, the first ones and "and N more".
 */
export function indexList(xs: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const x of xs) {
    const r = runs[runs.length - 1];
    if (r && r[1] === x - 1) r[1] = x;
    else runs.push([x, x]);
  }
  // Each item with the number of indexes it stands for.
  const items = runs.flatMap(([a, b]): [string, number][] => (b - a >= 2 ? [[`${a} to ${b}`, b - a + 1]] : b > a ? [[`${a}`, 1], [`${b}`, 1]] : [[`${a}`, 1]]));
  if (items.length > LIST_ITEMS) {
    const shown = items.slice(0, LIST_ITEMS - 2);
    return `${shown.map(([t]) => t).join(', ')} and ${xs.length - shown.reduce((n, [, k]) => n + k, 0)} more`;
  }
  const texts = items.map(([t]) => t);
  return texts.length === 1 ? texts[0] : `${texts.slice(0, -1).join(', ')} and ${texts[texts.length - 1]}`;
}

/**
 * Orders equally short counterexamples of one violated invariant: the lower rank is printed
 * (then the lower shard index). Asked only where two or more shards tie for the shortest, once
 * for each of them; it must be pure, so that the merge stays deterministic. It may throw an
 * InputError that names the shard's counterexample.
 */
export type TieRank = (run: { readonly design: string; readonly devices: number }, invariant: string, shard: number, counterexample: readonly IommuEvent[]) => number;

/**
 * Merges the shards of one run (docs/scaling.md, swarm mode). Every shard of the run must be
 * given exactly once and all must agree on design, bound, invariants, shard count, depth,
 * symmetry and the search to that depth; anything else is an InputError naming the problem.
 * Per invariant: n/a if n/a; violated if some shard found it violated, with the shortest
 * counterexample (ties: the lowest `rank`, then the lowest shard index); holds if every shard
 * completed and it holds in each; otherwise unknown. Deterministic: the order of `inputs` does
 * not matter.
 */
export function mergeShards(inputs: readonly ShardInput[], known?: KnownNames, rank?: TieRank): MergedCheck {
  if (inputs.length === 0) throw new InputError('merge: no shard files given');
  const parsed = inputs.map((input) => parseShard(input, known));
  const first = parsed[0];
  const want = identity(first);
  for (const p of parsed.slice(1)) {
    identity(p).forEach(([label, value], i) => {
      if (value !== want[i][1]) throw new InputError(`merge: ${p.file} and ${first.file} are not shards of one run: ${label} differs (${String(value)} vs ${String(want[i][1])})`);
    });
  }
  const K = first.tag.of;
  const byIndex: (Parsed | undefined)[] = new Array(K);
  for (const p of parsed) {
    const prev = byIndex[p.tag.index];
    if (prev) throw new InputError(`merge: shard ${p.tag.index} is given twice (${prev.file} and ${p.file})`);
    byIndex[p.tag.index] = p;
  }
  const missing = [...byIndex.keys()].filter((i) => !byIndex[i]);
  if (missing.length > 0) throw new InputError(`merge: missing shard${missing.length === 1 ? '' : 's'} ${indexList(missing)} of ${K} (indexes 0 to ${K - 1})`);
  const shards = byIndex as Parsed[];
  const roots = total(shards.map((p) => p.tag.roots), '"shard.roots"');
  if (roots !== first.tag.frontier) throw new InputError(`merge: the shards search on from ${roots} frontier states, but the frontier has ${first.tag.frontier}`);

  const invariants = first.invariants.map((_, i): MergedVerdict => {
    const vs = shards.map((p) => p.invariants[i]);
    if (vs.some((v) => v.verdict === 'n/a')) {
      if (!vs.every((v) => v.verdict === 'n/a')) throw new InputError(`merge: ${vs[0].name} is n/a in some shards only`);
      return vs[0];
    }
    const violated = [...vs.keys()].filter((k) => vs[k].verdict === 'violated');
    if (violated.length > 0) {
      const shortest = Math.min(...violated.map((k) => length(vs[k])));
      const tied = violated.filter((k) => length(vs[k]) === shortest);
      let best = tied[0];
      if (rank && tied.length > 1) {
        const ranks = tied.map((k) => rank({ design: first.design, devices: first.devices }, vs[k].name, k, vs[k].counterexample!));
        best = tied[ranks.indexOf(Math.min(...ranks))];
      }
      return { ...vs[best], shard: best };
    }
    const states = total(vs.map((v) => v.states!), `${vs[0].name} "states"`);
    const decided = shards.every((p) => p.summary.complete) && vs.every((v) => v.verdict === 'holds');
    return { name: vs[0].name, verdict: decided ? 'holds' : 'unknown', states };
  });
  const { index: _i, roots: _r, ...run } = first.tag;
  const sum = (k: 'states' | 'transitions' | 'elapsedMs') => total(shards.map((p) => p.summary[k]), `"${k}"`);
  const stopped = shards.filter((p) => !p.summary.complete).map((p) => p.summary);
  return {
    design: first.design,
    devices: first.devices,
    run,
    shards: shards.map((p) => p.summary),
    complete: stopped.length === 0,
    ...(stopped.length === 0 ? {}
      : { stopReason: stopped.every((p) => p.stopReason === DECIDED_REASON) ? DECIDED_REASON : stopped.map((p) => `shard ${p.index}: ${p.stopReason}`).join('; ') }),
    states: sum('states'),
    transitions: sum('transitions'),
    depth: Math.max(...shards.map((p) => p.summary.depth)),
    elapsedMs: sum('elapsedMs'),
    invariants,
  };
}

/** The exit code of a merged run, as `check`'s: 1 a violation, else 3 something undecided, else 0. */
export function mergedExitCode(m: MergedCheck): 0 | 1 | 3 {
  if (m.invariants.some((v) => v.verdict === 'violated')) return 1;
  return m.complete && m.invariants.every((v) => v.verdict !== 'unknown') ? 0 : 3;
}

import { InputError } from '../errors';
import { MAX_SHARDS, type ShardTag } from './checkShard';
import { MAX_DEVICES_SYMMETRY, MIN_DEVICES } from '../model/vocabulary';

/** One shard's `dmaown shard --format json` document, as read from `file`. */
export interface ShardInput {
  readonly file: string;
  readonly doc: unknown;
}

/** A verdict object of the JSON schema (docs/json-output.md), as a shard wrote it. */
export interface JsonVerdict {
  readonly name: string;
  readonly verdict: 'holds' | 'violated' | 'unknown' | 'n/a';
  readonly states?: number;
  readonly reason?: string;
  readonly explanation?: string;
  readonly counterexample?: readonly unknown[];
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
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** Checks one document's shape; an InputError names the file and the first field that is wrong. */
function parseShard(input: ShardInput): Parsed {
  const { file, doc } = input;
  const bad = (what: string): never => { throw new InputError(`merge: ${file}: ${what}`); };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad('not a JSON object (expected the output of \'dmaown shard --format json\')');
  const d = doc as Record<string, unknown>;
  if (d.shard === undefined) bad('no "shard" field: not the output of \'dmaown shard --format json\'');
  const s = d.shard as Record<string, unknown>;
  if (typeof s !== 'object' || s === null) bad('"shard" is not an object');
  for (const k of ['index', 'of', 'depth', 'prefixStates', 'frontier', 'roots'] as const) if (!isInt(s[k])) bad(`"shard.${k}" is not a whole number`);
  if ((s.of as number) < 1 || (s.of as number) > MAX_SHARDS) bad(`"shard.of" is not from 1 to ${MAX_SHARDS} (what 'dmaown shard --shards' accepts)`);
  if (typeof s.symmetry !== 'boolean') bad('"shard.symmetry" is not true or false');
  if (s.reducedBy !== null && typeof s.reducedBy !== 'string') bad('"shard.reducedBy" is not a string or null');
  if (typeof s.digest !== 'string') bad('"shard.digest" is not a string');
  if (typeof d.design !== 'string') bad('"design" is not a string');
  if (!isInt(d.devices) || (d.devices as number) < MIN_DEVICES || (d.devices as number) > MAX_DEVICES_SYMMETRY) bad(`"devices" is not a whole number from ${MIN_DEVICES} to ${MAX_DEVICES_SYMMETRY}`);
  if (typeof d.complete !== 'boolean') bad('"complete" is not true or false');
  for (const k of ['states', 'transitions', 'depth', 'elapsedMs'] as const) if (!isInt(d[k])) bad(`"${k}" is not a whole number`);
  if (!Array.isArray(d.invariants)) bad('"invariants" is not an array');
  const invariants = (d.invariants as unknown[]).map((v, i): JsonVerdict => {
    const o = v as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || !VERDICTS.includes(o.verdict as string)) bad(`invariants[${i}] is not a verdict object`);
    if (o.verdict === 'violated' && (!Array.isArray(o.counterexample) || !Array.isArray(o.trace) || typeof o.explanation !== 'string')) bad(`invariants[${i}] (${o.name}): a violation without counterexample, trace or explanation`);
    if (o.verdict !== 'n/a' && !isInt(o.states)) bad(`invariants[${i}] (${o.name}): "states" is not a whole number`);
    return o as unknown as JsonVerdict;
  });
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
      ...(d.complete ? {} : { stopReason: typeof d.stopReason === 'string' ? d.stopReason : 'stopped early' }),
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

/**
 * Merges the shards of one run (docs/scaling.md, swarm mode). Every shard of the run must be
 * given exactly once and all must agree on design, bound, invariants, shard count, depth,
 * symmetry and the search to that depth; anything else is an InputError naming the problem.
 * Per invariant: n/a if n/a; violated if some shard found it violated, with the shortest
 * counterexample (ties: the lowest shard index); holds if every shard completed and it holds in
 * each; otherwise unknown. Deterministic: the order of `inputs` does not matter.
 */
export function mergeShards(inputs: readonly ShardInput[]): MergedCheck {
  if (inputs.length === 0) throw new InputError('merge: no shard files given');
  const parsed = inputs.map(parseShard);
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
  if (missing.length > 0) throw new InputError(`merge: missing shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${K} (indexes 0 to ${K - 1})`);
  const shards = byIndex as Parsed[];
  const roots = shards.reduce((n, p) => n + p.tag.roots, 0);
  if (roots !== first.tag.frontier) throw new InputError(`merge: the shards search on from ${roots} frontier states, but the frontier has ${first.tag.frontier}`);

  const invariants = first.invariants.map((_, i): MergedVerdict => {
    const vs = shards.map((p) => p.invariants[i]);
    if (vs.some((v) => v.verdict === 'n/a')) {
      if (!vs.every((v) => v.verdict === 'n/a')) throw new InputError(`merge: ${vs[0].name} is n/a in some shards only`);
      return vs[0];
    }
    let best = -1;
    vs.forEach((v, k) => { if (v.verdict === 'violated' && (best < 0 || length(v) < length(vs[best]))) best = k; });
    if (best >= 0) return { ...vs[best], shard: best };
    const states = vs.reduce((n, v) => n + v.states!, 0);
    const decided = shards.every((p) => p.summary.complete) && vs.every((v) => v.verdict === 'holds');
    return { name: vs[0].name, verdict: decided ? 'holds' : 'unknown', states };
  });
  const { index: _i, roots: _r, ...run } = first.tag;
  const sum = (f: (s: ShardSummary) => number) => shards.reduce((n, p) => n + f(p.summary), 0);
  return {
    design: first.design,
    devices: first.devices,
    run,
    shards: shards.map((p) => p.summary),
    complete: shards.every((p) => p.summary.complete),
    states: sum((s) => s.states),
    transitions: sum((s) => s.transitions),
    depth: Math.max(...shards.map((p) => p.summary.depth)),
    elapsedMs: sum((s) => s.elapsedMs),
    invariants,
  };
}

/** The exit code of a merged run, as `check`'s: 1 a violation, else 3 something undecided, else 0. */
export function mergedExitCode(m: MergedCheck): 0 | 1 | 3 {
  if (m.invariants.some((v) => v.verdict === 'violated')) return 1;
  return m.complete && m.invariants.every((v) => v.verdict !== 'unknown') ? 0 : 3;
}

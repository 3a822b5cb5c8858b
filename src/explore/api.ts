import { renderSvg } from '../diagram/renderSvg';
import { deriveStatechart, STATECHART_DEVICES } from '../diagram/statechart';
import { statechartDot } from '../diagram/statechartDot';
import { cut, InputError, shown } from '../errors';
import { callersOf, type CallerAction } from '../iommu/callers';
import { checkDesignAsync } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import { loadDesigns } from '../iommu/designRegistry';
import { formatEvent, parseEvent, type IommuEvent } from '../iommu/events';
import { stepContext } from '../iommu/iommuModel';
import { loadInvariants } from '../iommu/invariantRegistry';
import { freshGroupSteps } from '../iommu/freshGroupSteps';
import { initialTraceState, replayEvents, type TraceStep } from '../iommu/replay';
import { cloneContext } from '../model/context';
import { errnoName, MAX_DEVICES, MAX_DEVICES_SYMMETRY, MIN_DEVICES } from '../model/vocabulary';
import { observedStatechart, type Statechart } from './statechart';
import { invariantStatuses, type InvariantStatus } from './stateInvariants';
import { changedFields, GHOST_FIELDS, stateView, type StateView } from './stateView';

/**
 * The explorer's JSON API as plain functions (the HTTP server only routes to them). Every
 * answer is a function of its arguments: a state is named by the path of events that reaches it
 * from the initial state, and is rebuilt by replaying that path. Bad arguments throw InputError
 * (HTTP 400).
 */

/** The largest bound the explorer accepts: beyond it a check takes too long for a page. */
export const EXPLORE_MAX_DEVICES = 4;
export const EXPLORE_DEFAULT_DEVICES = 2;
/** The longest path accepted (a walk is clicked by hand; counterexamples are far shorter). */
export const MAX_PATH = 500;

/** GET /api/designs */
export async function designsApi() {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  return {
    designs: designs.map((d) => ({ name: d.name, title: d.title, source: d.source })),
    invariants: invariants.map((i) => ({ name: i.name, kind: i.kind, summary: i.summary })),
    devices: { min: MIN_DEVICES, max: EXPLORE_MAX_DEVICES, default: EXPLORE_DEFAULT_DEVICES },
    ghostFields: GHOST_FIELDS,
    /** The bound the Graphviz statechart (`/api/statechart.svg`) is drawn at. */
    statechartDevices: STATECHART_DEVICES,
  };
}

/** The design called `name`, or InputError naming the known ones. */
export async function designNamed(name: unknown): Promise<Design> {
  const designs = await loadDesigns();
  const known = designs.map((d) => d.name).join(', ');
  if (name === undefined || name === '') throw new InputError(`missing design (known: ${known})`);
  if (typeof name !== 'string') throw new InputError(`design must be a design's name, got ${shown(name)} (known: ${known})`);
  const d = designs.find((x) => x.name === name);
  if (!d) throw new InputError(`unknown design '${cut(name, 60)}' (known: ${known})`);
  return d;
}

/** A bound the explorer accepts (a number or a decimal string), or InputError. */
export function exploreDevices(raw: unknown): number {
  // A whole number written by JSON with an exponent (1e21) is still a number, out of range.
  const s = typeof raw === 'number' ? (Number.isInteger(raw) ? BigInt(raw).toString() : String(raw)) : raw;
  if (typeof s !== 'string' || !/^\d+$/.test(s)) throw new InputError(`devices must be a whole number from ${MIN_DEVICES} to ${EXPLORE_MAX_DEVICES}, got ${shown(raw ?? null)}`);
  const n = Number(s);
  if (n < MIN_DEVICES || n > EXPLORE_MAX_DEVICES) {
    // A bound check can search (past MAX_DEVICES with symmetry only) is pointed to it.
    const command = n <= MAX_DEVICES ? `dmaown check --devices ${n}` : `dmaown check --devices ${n} --symmetry`;
    const larger = n > EXPLORE_MAX_DEVICES && n <= MAX_DEVICES_SYMMETRY ? ` (use '${command}' for larger bounds)` : '';
    throw new InputError(`devices ${cut(s, 12)} is out of range: the explorer takes ${MIN_DEVICES} to ${EXPLORE_MAX_DEVICES} devices${larger}`);
  }
  return n;
}

const actionsOf = (design: Design, devices: number): CallerAction[] => callersOf(design, devices);

/**
 * Answers done or under way, by design and bound: requests for the same one share one search.
 * A search that was stopped before it ended (the server closing) is dropped, never served.
 */
const checkCache = new Map<string, Promise<Record<string, unknown>>>();
const chartCache = new Map<string, Promise<Statechart>>();

/** The answer cached under `key`, or the one `make` starts; dropped if it rejects or `keep` refuses it. */
function shared<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>, keep: (v: T) => boolean = () => true): Promise<T> {
  const cached = cache.get(key);
  if (cached) return cached;
  const p = make();
  cache.set(key, p);
  const drop = () => { if (cache.get(key) === p) cache.delete(key); };
  p.then((v) => { if (!keep(v)) drop(); }, drop);
  return p;
}

/**
 * GET /api/check?design=&devices=: the verdicts of `dmaown check` (every invariant), from
 * checkDesignAsync, so that the server keeps answering other requests while it searches (at 4
 * devices some designs have millions of states). `signal` stops the search (the server aborts
 * it when it closes); the answer then says `complete: false`.
 */
export async function checkApi(designName: unknown, devicesRaw: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const design = await designNamed(designName);
  const devices = exploreDevices(devicesRaw);
  return shared(checkCache, `${design.name}/${devices}`, () => checkAnswer(design, devices, signal), (out) => out.complete === true);
}

async function checkAnswer(design: Design, devices: number, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
  const dc = await checkDesignAsync(design, devices, await loadInvariants(), { signal });
  const r = dc.result;
  return {
    design: design.name,
    title: design.title,
    source: design.source,
    devices,
    complete: r.complete,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    elapsedMs: Math.round(r.elapsedMs),
    verdicts: dc.verdicts.map((v) => {
      switch (v.verdict) {
        case 'n/a': return { name: v.name, verdict: v.verdict, reason: v.reason };
        case 'violated': {
          const shortcut = freshGroupSteps(design, devices, v.trace).map((f) => f.step);
          return { name: v.name, verdict: v.verdict, states: v.states, explanation: v.explanation, counterexample: v.counterexample, calls: v.counterexample.map(formatEvent), ...(shortcut.length ? { freshGroupSteps: shortcut } : {}) };
        }
        default: return { name: v.name, verdict: v.verdict, states: v.states };
      }
    }),
  };
}

/** GET /api/statechart?design=&devices=: walked in slices, as checks are; `signal` stops the walk (it then rejects). */
export async function statechartApi(designName: unknown, devicesRaw: unknown, signal?: AbortSignal): Promise<Statechart> {
  const design = await designNamed(designName);
  const devices = exploreDevices(devicesRaw);
  return shared(chartCache, `${design.name}/${devices}`, () => observedStatechart(design, devices, signal));
}

const svgCache = new Map<string, string>();

/**
 * GET /api/statechart.svg?design=: the statechart with each branch's guard, return codes and
 * WARN_ONs, exactly as `dmaown diagram --design NAME --format svg` draws it (src/diagram/, at
 * its default bound of STATECHART_DEVICES devices).
 */
export async function statechartSvgApi(designName: unknown): Promise<{ devices: number; svg: string }> {
  const design = await designNamed(designName);
  let svg = svgCache.get(design.name);
  if (!svg) {
    svg = await renderSvg(statechartDot(deriveStatechart(design, STATECHART_DEVICES), 'errors'));
    svgCache.set(design.name, svg);
  }
  return { devices: STATECHART_DEVICES, svg };
}

/** One state on a path, with the call that led to it (absent for the initial state). */
export interface PathStateJson {
  readonly step: number | null;
  readonly event?: IommuEvent;
  readonly call?: string;
  readonly ret?: number;
  readonly retName?: string;
  readonly warn?: boolean;
  /** The machine branch that handled the call (its guard names the seed branch). */
  readonly guard?: string;
  readonly view: StateView;
  /** Fields that the call changed (see `changedFields`). */
  readonly changed: readonly string[];
  readonly invariants: readonly InvariantStatus[];
  /**
   * Only at a step that takes the model's one-group shortcut (`freshGroupSteps`): what the
   * kernel does there instead.
   */
  readonly shortcut?: string;
}

/** One caller action from the last state: enabled or not, and what it would return. */
export interface ActionJson {
  readonly index: number;
  readonly event: IommuEvent;
  readonly call: string;
  readonly lane: string;
  readonly cleanup: boolean;
  readonly enabled: boolean;
  readonly outcome?: { ret: number; retName: string; warn: boolean; state: string };
}

/** Checks a request's `path`: an array of at most MAX_PATH events of this bound. */
export function parsePath(raw: unknown, devices: number): IommuEvent[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new InputError(`path must be a JSON array of events, got ${shown(raw)}`);
  if (raw.length > MAX_PATH) throw new InputError(`path has ${raw.length} events; the explorer takes at most ${MAX_PATH}`);
  return raw.map((r, i) => parseEvent(r, devices, `path[${i}]`));
}

/**
 * POST /api/successors {design, devices, path}: replays `path` from the initial state and
 * returns every state along it (fields, changes, invariants broken) and the modelled callers'
 * actions from the last state, with what each enabled one would return.
 */
export async function successorsApi(body: unknown): Promise<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InputError('the request body must be a JSON object {"design", "devices", "path"}');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!['design', 'devices', 'path'].includes(k)) throw new InputError(`unknown field '${k}' (expected design, devices, path)`);
  const design = await designNamed(b.design);
  const devices = exploreDevices(b.devices);
  const path = parsePath(b.path, devices);
  const trace = replayEvents(design, devices, path);
  const invariants = await loadInvariants();
  const actions = actionsOf(design, devices);

  const init = initialTraceState(design, devices);
  let prev = stateView(design, devices, init.state, init.context);
  const states: PathStateJson[] = [{ step: null, view: prev, changed: [], invariants: invariantStatuses(design, actions, invariants, init.state, init.context, null) }];
  const shortcuts = new Map(freshGroupSteps(design, devices, trace).map((f) => [f.step, f.devices] as const));
  for (const s of trace) {
    const view = stateView(design, devices, s.state, s.context);
    const joined = shortcuts.get(s.step);
    const shortcut = joined && `${joined.map((d) => `device ${d}`).join(' and ')} joined the group after its last member left, but the group is not a fresh one: the kernel would give ${joined.length > 1 ? 'them' : 'it'} a fresh group here, so from this step on the path is the model's one-group shortcut (docs/model.md, "The group's lifetime")`;
    states.push(stepJson(s, view, changedFields(prev, view), invariantStatuses(design, actions, invariants, s.state, s.context, s), shortcut));
    prev = view;
  }

  const last = trace.length ? trace[trace.length - 1] : { state: init.state, context: init.context };
  const out: ActionJson[] = actions.map((a, index) => {
    const base = { index, event: a.event, call: formatEvent(a.event), lane: a.lane, cleanup: a.cleanup };
    if (!a.enabled(last.context)) return { ...base, enabled: false };
    const c = cloneContext(last.context);
    const state = stepContext(design, last.state, c, a.event);
    return { ...base, enabled: true, outcome: { ret: c.ret, retName: errnoName(c.ret), warn: c.warn, state } };
  });
  return { design: design.name, devices, path, states, actions: out };
}

function stepJson(s: TraceStep, view: StateView, changed: string[], inv: InvariantStatus[], shortcut: string | undefined): PathStateJson {
  return {
    step: s.step,
    event: s.event,
    call: formatEvent(s.event),
    ret: s.ret,
    retName: errnoName(s.ret),
    warn: s.warn,
    ...(s.fired?.guardName ? { guard: s.fired.guardName } : {}),
    view,
    changed,
    invariants: inv,
    ...(shortcut ? { shortcut } : {}),
  };
}

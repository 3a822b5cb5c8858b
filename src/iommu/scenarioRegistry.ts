import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Errno, errnoName, MAX_DEVICES } from '../model/vocabulary';
import { InputError, parseEvent } from './events';
import { shown } from '../errors';
import type { FieldMatcher, Scenario, ScenarioStep, ScenarioVariant, StateExpectation } from './scenario';

/**
 * The folder of scenario files. Scenarios are JSON, not compiled, so the compiled CLI
 * (`dist/src/iommu/`) reads the same folder as the sources do (`src/iommu/`).
 */
export const SCENARIOS_DIR = [join(__dirname, '..', '..', 'scenarios'), join(__dirname, '..', '..', '..', 'scenarios')].find((d) => existsSync(d))
  ?? join(__dirname, '..', '..', 'scenarios');

/**
 * The scenario file format, `scenarios/NAME.json` (the name is the file's base name):
 *
 *     { "summary": "one line", "source": "where the use comes from",
 *       "steps": [ {"type":"probe_device","dev":0}, {"type":"claim","owner":"file2","ret":"-EPERM"}, ... ] }
 *
 * Each step is a replay event (docs of `dmaown replay`), optionally with `ret` (the return code
 * or codes it accepts, as numbers or names like "-EBUSY"; default 0) and `after` (expected state
 * fields: `{"group": {"owner": null}, "devices": {"1": {"domain": {"not": "default"}}}}`, a
 * value, `{"not": v}` or `{"oneOf": [...]}`), and `optional: true` (skip the step when the
 * driver core cannot make it on a design, e.g. a late probe of a device that its bind already
 * put in the group). Instead of `steps`, `variants` lists `{"name", "steps"}` alternatives; the
 * first whose calls a design has is run.
 */
export function parseScenario(raw: unknown, name: string): Scenario {
  const where = `scenarios/${name}.json`;
  const obj = asObject(raw, where);
  for (const k of Object.keys(obj)) if (!['summary', 'source', 'steps', 'variants'].includes(k)) throw new InputError(`${where}: unknown field '${k}'`);
  const text = (k: string) => {
    if (typeof obj[k] !== 'string' || obj[k] === '') throw new InputError(`${where}: '${k}' must be a non-empty string`);
    return obj[k] as string;
  };
  let variants: ScenarioVariant[];
  if (('steps' in obj) === ('variants' in obj)) throw new InputError(`${where}: give either 'steps' or 'variants'`);
  if ('steps' in obj) {
    variants = [{ name: null, steps: parseSteps(obj.steps, where) }];
  } else {
    if (!Array.isArray(obj.variants) || obj.variants.length === 0) throw new InputError(`${where}: 'variants' must be a non-empty array`);
    variants = obj.variants.map((v, i) => {
      const vo = asObject(v, `${where}: variant ${i}`);
      if (typeof vo.name !== 'string' || vo.name === '') throw new InputError(`${where}: variant ${i} needs a 'name'`);
      for (const k of Object.keys(vo)) if (k !== 'name' && k !== 'steps') throw new InputError(`${where}: variant ${vo.name}: unknown field '${k}'`);
      return { name: vo.name, steps: parseSteps(vo.steps, `${where}: variant ${vo.name}`) };
    });
  }
  return { name, summary: text('summary'), source: text('source'), variants };
}

function asObject(raw: unknown, where: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(`${where}: expected a JSON object`);
  return raw as Record<string, unknown>;
}

const ERRNO_BY_NAME = new Map<string, number>(Object.values(Errno).map((n) => [errnoName(n), n] as const));

function parseRet(v: unknown, where: string): number[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new InputError(`${where}: 'ret' must name at least one return code`);
  return list.map((x) => {
    if (typeof x === 'number' && Number.isInteger(x)) return x;
    if (typeof x === 'string' && ERRNO_BY_NAME.has(x)) return ERRNO_BY_NAME.get(x)!;
    throw new InputError(`${where}: 'ret' must be a number or one of ${[...ERRNO_BY_NAME.keys()].join(', ')}, got ${shown(x)}`);
  });
}

function parseFields(v: unknown, where: string): Record<string, FieldMatcher> {
  const o = asObject(v, where);
  for (const [k, m] of Object.entries(o)) {
    if (typeof m === 'object' && m !== null && !Array.isArray(m)) {
      const keys = Object.keys(m);
      const ok = keys.length === 1 && (keys[0] === 'not' || (keys[0] === 'oneOf' && Array.isArray((m as { oneOf: unknown }).oneOf)));
      if (!ok) throw new InputError(`${where}: ${k}: expected a value, {"not": value} or {"oneOf": [values]}`);
    }
  }
  return o;
}

function parseAfter(v: unknown, where: string): StateExpectation {
  const o = asObject(v, `${where}: after`);
  const out: { group?: Record<string, FieldMatcher>; devices?: Record<number, Record<string, FieldMatcher>> } = {};
  for (const k of Object.keys(o)) {
    if (k === 'group') out.group = parseFields(o.group, `${where}: after.group`);
    else if (k === 'devices') {
      out.devices = {};
      for (const [i, f] of Object.entries(asObject(o.devices, `${where}: after.devices`))) {
        if (!/^\d+$/.test(i) || Number(i) >= MAX_DEVICES) throw new InputError(`${where}: after.devices: '${i}' is not a device index`);
        out.devices[Number(i)] = parseFields(f, `${where}: after.devices.${i}`);
      }
    } else throw new InputError(`${where}: after: unknown field '${k}' (group, devices)`);
  }
  return out;
}

function parseSteps(v: unknown, where: string): ScenarioStep[] {
  if (!Array.isArray(v) || v.length === 0) throw new InputError(`${where}: 'steps' must be a non-empty array`);
  return v.map((raw, i) => {
    const at = `${where}: step ${i}`;
    const { ret, after, optional, ...event } = asObject(raw, at);
    if (optional !== undefined && typeof optional !== 'boolean') throw new InputError(`${at}: 'optional' must be true or false`);
    return {
      event: parseEvent(event, MAX_DEVICES, at),
      ret: ret === undefined ? [0] : parseRet(ret, at),
      ...(after === undefined ? {} : { after: parseAfter(after, at) }),
      ...(optional ? { optional: true } : {}),
    };
  });
}

let cache: Scenario[] | null = null;

/** Every scenario in `scenarios/`, sorted by name. Adding a file adds a scenario. */
export function loadScenarios(dir = SCENARIOS_DIR): Scenario[] {
  if (dir !== SCENARIOS_DIR) return readScenarios(dir);
  cache ??= readScenarios(dir);
  return cache;
}

function readScenarios(dir: string): Scenario[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  return files.map((f) => {
    const name = basename(f, '.json');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch (e) {
      throw new InputError(`scenarios/${f}: not valid JSON: ${(e as Error).message}`);
    }
    return parseScenario(raw, name);
  });
}

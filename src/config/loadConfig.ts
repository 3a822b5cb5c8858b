import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readInputFile } from '../cli/input';
import { InputError, thrownText } from '../errors';
import { parseJson } from '../jsonText';
import { CONFIG_FILES } from './configSchema';

/** The config file in `dir`, or null. Two of them at once is an InputError (which one would win?). */
export function findConfigFile(dir: string): string | null {
  const found = CONFIG_FILES.filter((f) => existsSync(resolve(dir, f)));
  if (found.length > 1) throw new InputError(`${found.join(' and ')} both exist in ${dir}: keep one`);
  return found.length === 1 ? found[0] : null;
}

/** Registers ts-node (if installed) so that a `.ts` config can be required from the compiled CLI. */
function ensureTypeScript(path: string): void {
  const req = typeof require === 'function' ? require : null;
  if (!req || req.extensions?.['.ts']) return;
  try {
    (req('ts-node') as { register(o: object): void }).register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
  } catch {
    throw new InputError(`${path}: a .ts config needs ts-node (npm install --save-dev ts-node), or use dmaown.config.json`);
  }
}

/**
 * Reads a config file (`path` relative to `dir`, and named so in messages): JSON for `.json`; for `.js` / `.cjs` / `.mjs` / `.ts` the module's
 * default export (or its `config` export). An unreadable or malformed file is an InputError.
 */
export async function readConfigFile(path: string, dir = process.cwd()): Promise<unknown> {
  const full = resolve(dir, path);
  if (!existsSync(full)) throw new InputError(`config file '${path}' not found`);
  if (statSync(full).isDirectory()) throw new InputError(`config file '${path}' is a directory`);
  // At most MAX_INPUT_BYTES, as any file dmaown reads (a path to /dev/zero is refused, not read).
  if (path.endsWith('.json')) return parseJson(readInputFile(full, `'${path}'`), path);
  if (!/\.(c|m)?js$|\.ts$/.test(path)) throw new InputError(`${path}: a config file must end in .json, .js, .cjs, .mjs or .ts`);
  if (path.endsWith('.ts')) ensureTypeScript(path);
  let mod: Record<string, unknown>;
  try {
    mod = (await settled(loadModule(full), path)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof InputError) throw e;
    // The first line, and the next when the first only announces it (ts-node: "Unable to compile
    // TypeScript:" then the diagnostic with its line and column).
    const lines = thrownText(e).split('\n').map((l) => l.trim()).filter(Boolean);
    throw new InputError(`${path}: cannot load: ${lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : lines[0] ?? ''}`);
  }
  let value: unknown;
  let thenable = false;
  try {
    value = mod.default ?? mod.config;
    // A CommonJS module imported as ESM nests its exports under `default`: its own `default` or
    // `config` export is one level down (twice at most: a compiled .ts default export).
    for (let i = 0; i < 2 && value !== null && typeof value === 'object' && !('checks' in value); i++) {
      const v = value as Record<string, unknown>;
      if (v.default !== undefined) value = v.default;
      else if (v.config !== undefined) value = v.config;
      else break;
    }
    thenable = value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
  } catch (e) {
    // A getter or a proxy in the module threw as its export was read: the file's fault.
    throw exportThrew(path, e);
  }
  // An exported promise (an async function's result): its value is the config.
  if (thenable) {
    try {
      value = await settled(Promise.resolve(value), path);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`${path}: its exported promise was rejected: ${thrownText(e).split('\n')[0]}`);
    }
  }
  if (value === undefined) throw new InputError(`${path}: export the config as the default export (or as 'config')`);
  return value;
}

/**
 * `p`, or an InputError saying that config `path` never finished loading if the process runs
 * out of other work while it waits for `p` (a top-level await or an exported promise that
 * nothing settles): without this, Node would end the process quietly, with exit status 0.
 */
function settled<T>(p: Promise<T>, path: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stuck = (): void => reject(new InputError(`${path}: never finished loading: it waits for a promise that nothing settles`));
    process.once('beforeExit', stuck);
    p.then(
      (v) => { process.off('beforeExit', stuck); resolve(v); },
      (e: unknown) => { process.off('beforeExit', stuck); reject(e); },
    );
  });
}

/** Node's import(), kept from TypeScript's CommonJS output (which would make it a require()). */
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * Loads a config module. An ES module (.mjs) is loaded by Node's own import(): the require()
 * that TypeScript's CommonJS output makes of import() refuses top-level await, and loads ES
 * modules only from Node 20.19. Where no native import() is available (a VM context such as a
 * test runner's), the module is loaded as the rest.
 */
async function loadModule(full: string): Promise<unknown> {
  if (full.endsWith('.mjs')) {
    try {
      return await nativeImport(pathToFileURL(full).href);
    } catch (e) {
      // `?.`: a module may throw anything, null included.
      if ((e as NodeJS.ErrnoException | null)?.code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw e;
    }
  }
  return import(full);
}

/**
 * The InputError for a config module whose export threw `e` as it was read (a getter or a
 * proxy, here or while the config is validated): the file's fault, not dmaown's.
 */
export function exportThrew(path: string, e: unknown): InputError {
  return new InputError(`${path}: reading its export threw: ${thrownText(e)}`);
}

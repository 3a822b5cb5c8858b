/**
 * The body of a search worker thread: builds the model from its recipe, then expands the chunks
 * of states the merging thread sends, in the order they come, and sends each result back on the
 * same port, bumping the shared signal so that the (blocked) merging thread wakes up.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { ModelRecipe, PackedModel } from '../core/model';
import { PropertySet } from '../core/searchState';
import { StoreReader, type StoreSnapshot } from '../core/stateStore';
import { chunkBuffers, expandChunk, type ExpandedChunk } from './expandChunk';

/** What the merging thread gives a worker when it starts it. */
export interface WorkerSetup {
  readonly recipe: ModelRecipe;
  /** Names of the properties to evaluate, in the search's order. */
  readonly properties: readonly string[];
  readonly symmetry: boolean;
  readonly port: MessagePort;
  /**
   * Int32 counters: word 0 bumped after every message posted (by any worker); word 1 + `index`
   * this worker's beats (parallelSearch's `liveness`).
   */
  readonly signal: SharedArrayBuffer;
  /** This worker's number among the search's workers. */
  readonly index: number;
}

/** A chunk to expand: `n` rows of states `first`, `first + 1`, ... */
export interface ChunkRequest {
  readonly chunk: number;
  readonly first: number;
  readonly n: number;
  readonly rows: Uint32Array;
  /** The state properties still undecided (PropertySet.bits). */
  readonly open: number;
  /** The visited set as it is now, when it changed since the last request. */
  readonly store?: StoreSnapshot;
}

/** A result the merging thread is done with, handed back for the worker to write over. */
export interface Recycle {
  readonly recycle: ExpandedChunk;
}

/** How often a worker thread beats while its event loop is free (parallelSearch's `liveness`). */
export const BEAT_MS = 1000;

/** What a worker thread's end before the search's is reported as (by the thread or its 'exit' event). */
export function threadEnded(code: number): string {
  return `the thread ended (exit code ${code}) before the search did`;
}

async function start(setup: WorkerSetup): Promise<void> {
  const signal = new Int32Array(setup.signal);
  // Signs of life for a merging thread that cannot see this thread's 'exit' event: a beat every
  // BEAT_MS while the event loop is free, and one as each chunk starts.
  const beat = () => { Atomics.add(signal, 1 + setup.index, 1); };
  beat();
  setInterval(beat, BEAT_MS).unref();
  const post = (msg: unknown, transfer: ArrayBuffer[] = []) => {
    setup.port.postMessage(msg, transfer);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  // A `process.exit` in this thread (a design module's, say) ends only this thread: say so on
  // the way out, so that even a merging thread that never lets its event loop turn (the
  // synchronous `check`) learns of it instead of waiting in silence.
  process.on('exit', (code) => post({ chunk: -1, error: threadEnded(code) }));
  try {
    const mod = require(setup.recipe.module) as Record<string, (args: unknown) => PackedModel | Promise<PackedModel>>;
    const build = mod[setup.recipe.exportName];
    if (typeof build !== 'function') throw new Error(`${setup.recipe.module} has no function '${setup.recipe.exportName}'`);
    const model = await build(setup.recipe.args);
    const byName = new Map(model.properties.map((p) => [p.name, p] as const));
    const props = new PropertySet(setup.properties.map((n) => {
      const p = byName.get(n);
      if (!p) throw new Error(`the worker's model has no property '${n}'`);
      return p;
    }));
    const symmetry = setup.symmetry ? model.symmetry ?? null : null;
    if (setup.symmetry && !symmetry) throw new Error("the worker's model has no symmetry");
    const reader = new StoreReader(model.words);
    /** Whether the merging thread shares its visited set (it does with two worker threads or more). */
    let lookups = false;
    const spare: ExpandedChunk[] = [];
    setup.port.on('message', (msg: ChunkRequest | Recycle) => {
      if ('recycle' in msg) { spare.push(msg.recycle); return; }
      const req = msg;
      beat();
      try {
        if (req.store) { reader.update(req.store); lookups = true; }
        const r = expandChunk(model, props, symmetry, req.rows, req.n, lookups ? reader : null, req.open, spare.pop());
        const bufferBytes = reader.bytes + (symmetry?.bytes ?? 0);
        post({ chunk: req.chunk, ...r, memoBytes: model.memoBytes?.() ?? 0, bufferBytes }, chunkBuffers(r));
      } catch (e) {
        post({ chunk: req.chunk, error: (e as Error)?.stack ?? String(e) });
      }
    });
  } catch (e) {
    post({ chunk: -1, error: (e as Error)?.stack ?? String(e) });
  }
}

if (workerData && (workerData as { dmaownSearchWorker?: boolean }).dmaownSearchWorker) {
  void start(workerData as WorkerSetup);
}

import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { maxStatesReason, memoryReason, type CheckConfig, type LoopOutcome } from '../core/searchLoop';
import { BudgetExceeded } from '../core/memoryBudget';
import type { PackedModel } from '../core/model';
import type { SearchState } from '../core/searchState';
import { SELF_LOOP, type ExpandedChunk } from './expandChunk';
import type { ChunkRequest, WorkerSetup } from './searchWorker';

/** States per chunk sent to a worker: at most, and at least while other chunks are in flight. */
const CHUNK_MAX = 8192;
const CHUNK_MIN = 256;
/** Chunks a worker may hold at once (so that it never waits for the merging thread). */
const IN_FLIGHT_PER_WORKER = 3;
/** How long the merging thread waits without news before it checks its workers again. */
const WAIT_MS = 1000;
/** Give up when no worker answers for this long (a worker that died without a word). */
const SILENCE_MS = 10 * 60 * 1000;

/**
 * Whether workers look their successors up in the (shared) visited set themselves. With two
 * workers the merging thread keeps up with adding every successor, and the workers' lookups
 * would cost more in total than they save (measured on two cores); with three or more, the
 * merging thread would become the bottleneck, so the workers take the lookups on.
 */
export function workersLookUp(workers: number): boolean {
  return workers >= 3;
}

/** A worker thread failed, or the merging thread could not hear from it. */
export class WorkerError extends Error {}

interface Pending {
  readonly worker: number;
  readonly chunk: number;
  readonly first: number;
  readonly n: number;
}

/**
 * Starts a search worker. From compiled JS it runs `searchWorker.js`; from TypeScript source
 * (tests) it registers ts-node in the worker first, so that the worker loads the same sources.
 */
function startWorker(setup: Omit<WorkerSetup, 'port'>, port: MessagePort): Worker {
  const data = { ...setup, port, dmaownSearchWorker: true };
  const transferList = [port];
  if (__filename.endsWith('.ts')) {
    const entry = join(__dirname, 'searchWorker.ts');
    const code = `require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(entry)});`;
    return new Worker(code, { eval: true, workerData: data, transferList });
  }
  return new Worker(join(__dirname, 'searchWorker.js'), { workerData: data, transferList });
}

/**
 * The search with `cfg.workers` worker threads. The calling thread sends consecutive chunks of
 * stored states to the workers, which evaluate the states' properties, compute their
 * (canonicalized, hashed) successors and, with three workers or more, look them up in the
 * visited set (shared memory, read only: most successors are states stored already); it then
 * merges the results into `search` strictly in id order, as the single-threaded loop would,
 * adding the successors the workers did not find. So the numbering of states, the counts, the
 * verdicts and the counterexamples do not depend on the number of workers or on timing.
 * The calling thread blocks (Atomics.wait) while it waits for results.
 */
export function searchInParallel(model: PackedModel, search: SearchState, cfg: CheckConfig, started: number): LoopOutcome {
  const W = model.words;
  const store = search.store;
  const lookups = workersLookUp(cfg.workers);
  const signal = new SharedArrayBuffer(4);
  const sig = new Int32Array(signal);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const load: number[] = [];
  /** The store generation each worker last saw. */
  const seenGeneration: number[] = [];
  for (let i = 0; i < cfg.workers; i++) {
    const ch = new MessageChannel();
    ports.push(ch.port1);
    const w = startWorker({ recipe: model.recipe!, properties: cfg.props.all.map((p) => p.name), symmetry: cfg.symmetry !== null, signal }, ch.port2);
    w.unref();
    workers.push(w);
    load.push(0);
    seenGeneration.push(-1);
  }
  const pending: Pending[] = [];
  let chunks = 0;
  let sentEnd = 0;

  const dispatch = () => {
    while (pending.length < cfg.workers * IN_FLIGHT_PER_WORKER) {
      const available = store.count - sentEnd;
      if (available <= 0) return;
      const n = Math.min(CHUNK_MAX, available);
      if (n < CHUNK_MIN && pending.length > 0) return;
      let wi = 0;
      for (let i = 1; i < workers.length; i++) if (load[i] < load[wi]) wi = i;
      const rows = new Uint32Array(n * W);
      store.readRange(sentEnd, sentEnd + n, rows);
      const fresh = lookups && seenGeneration[wi] !== store.generation;
      seenGeneration[wi] = store.generation;
      const req: ChunkRequest = { chunk: chunks, first: sentEnd, n, rows, open: search.open, ...(fresh ? { store: store.snapshot() } : {}) };
      ports[wi].postMessage(req, [rows.buffer]);
      pending.push({ worker: wi, chunk: chunks, first: sentEnd, n });
      load[wi]++;
      chunks++;
      sentEnd += n;
    }
  };

  /** Results received but not merged yet, per worker, in the order the worker sent them. */
  const inbox: (ExpandedChunk & { chunk: number })[][] = workers.map(() => []);
  const drain = () => {
    for (let i = 0; i < ports.length; i++) {
      for (let got = receiveMessageOnPort(ports[i]); got; got = receiveMessageOnPort(ports[i])) {
        const msg = got.message as ExpandedChunk & { chunk: number; error?: string };
        if (msg.error !== undefined) throw new WorkerError(`search worker ${i} failed: ${msg.error}`);
        inbox[i].push(msg);
      }
    }
  };
  const receive = (p: Pending): ExpandedChunk => {
    let quiet = 0;
    for (;;) {
      const seen = Atomics.load(sig, 0);
      drain();
      const msg = inbox[p.worker].shift();
      if (msg) {
        if (msg.chunk !== p.chunk) throw new WorkerError(`search worker ${p.worker} answered chunk ${msg.chunk} instead of ${p.chunk}`);
        return msg;
      }
      if (Atomics.wait(sig, 0, seen, WAIT_MS) === 'timed-out') {
        quiet += WAIT_MS;
        if (quiet >= SILENCE_MS) throw new WorkerError(`no answer from search worker ${p.worker} for ${SILENCE_MS / 60000} minutes`);
      } else {
        quiet = 0;
      }
    }
  };

  let depth = 0;
  let layerEnd = store.count;
  let id = 0;
  let visited = 0;
  try {
    for (;;) {
      dispatch();
      const p = pending.shift();
      if (!p) break;
      const r = receive(p);
      load[p.worker]--;
      let s = 0;
      for (let i = 0; i < p.n; i++) {
        id = p.first + i;
        if (id === layerEnd) { depth++; layerEnd = store.count; }
        if (store.count >= cfg.maxStates) return { expanded: id, visited, depth, stopReason: maxStatesReason(cfg.maxStates) };
        search.visit(id, r.bits[i]);
        visited = id + 1;
        const end = s + r.counts[i];
        for (; s < end; s++) {
          const f = r.flags[s];
          if ((f & SELF_LOOP) !== 0) search.addSelfLoop(id, r.actions[s], (f & ~SELF_LOOP) >>> 0);
          else if (r.ids[s] >= 0) search.addKnown(id, r.actions[s], f, r.ids[s]);
          else search.addSuccessor(id, r.actions[s], f, r.rows, s * W, r.hashes[s]);
        }
        if (cfg.onProgress && id % cfg.progressEvery === 0 && id > 0) {
          cfg.onProgress({ states: store.count, transitions: search.transitions, depth, queue: store.count - id, elapsedMs: performance.now() - started });
        }
      }
      id = p.first + p.n;
    }
  } catch (e) {
    if (!(e instanceof BudgetExceeded)) throw e;
    return { expanded: id, visited, depth, stopReason: memoryReason(e) };
  } finally {
    for (const w of workers) void w.terminate();
    for (const port of ports) port.close();
  }
  return { expanded: id, visited, depth };
}

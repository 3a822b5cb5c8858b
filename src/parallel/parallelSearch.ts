import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { LoopLevels, memoryReason, type CheckConfig, type LoopOutcome, type SearchRun } from '../core/searchLoop';
import { formatDuration } from '../core/duration';
import { BudgetExceeded } from '../core/memoryBudget';
import type { PackedModel } from '../core/model';
import type { SearchState } from '../core/searchState';
import { chunkBuffers, type ExpandedChunk } from './expandChunk';
import { threadEnded, type ChunkRequest, type Recycle, type WorkerSetup } from './searchWorker';

/** States per chunk sent to a worker: at most, and at least while other chunks are in flight. */
const CHUNK_MAX = 8192;
const CHUNK_MIN = 256;
/** Chunks a worker may hold at once (so that it never waits for the merging thread). */
const IN_FLIGHT_PER_WORKER = 3;
/** How long the merging thread waits without news before it checks its workers again. */
const WAIT_MS = 1000;
/**
 * Give up on a chunk when no worker has posted anything for this long while it is waited for
 * (any worker's message starts the count again; `liveness` below watches the one worker).
 */
const SILENCE_MS = 10 * 60 * 1000;
/**
 * How long the merging thread waits, while a worker owes it a chunk, without any sign of life
 * from that worker (an answer, or a beat: the worker bumps its beat counter every second while
 * its event loop is free, and as it starts each chunk) before it gives the worker up
 * as ended without a word. A chunk of 8,192 states takes well under a second to a few seconds,
 * and a worker loads in seconds, so a minute without a beat means the thread is gone. This is
 * what lets the synchronous `check`, which never lets its event loop turn (so never sees the
 * thread's 'exit' event), notice such an end. Tests shorten it.
 */
export const liveness = { silenceMs: 60 * 1000 };
/** States whose successors the merging thread prepares together (SearchState.prepare). */
const MERGE_BATCH = 128;

/**
 * Worker threads a search with `workers` threads starts: all but the calling thread, which
 * merges their results.
 */
export function workerThreads(workers: number): number {
  return workers - 1;
}

/**
 * Whether the worker threads of a search with `workers` threads look their successors up in the
 * (shared) visited set themselves. With one worker thread the merging thread is the busier
 * (measured on two cores: the worker idle about a fifth of its time), but lookups in the worker
 * made it the bottleneck at once (about 370K against 600K states/s, bench/results.md); with two
 * or more, the merging thread would become the bottleneck, so the workers take the lookups on.
 */
export function workersLookUp(workers: number): boolean {
  return workerThreads(workers) >= 2;
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
 * The environment variable that names the project's folders (comma-separated, e.g.
 * `src,machines`) whose compiled copies in dist/ match the TypeScript sources:
 * test/globalSetup.ts sets it once it has brought dist/ up to date. See `startWorker`.
 */
export const DIST_FRESH_ENV = 'DMAOWN_DIST_FRESH';

/**
 * The compiled twin under dist/ of the TypeScript module `file` of this project, when `file` is
 * in a folder the environment says dist/ has fresh (DIST_FRESH_ENV) and the twin exists; else
 * null.
 */
function compiledTwin(file: string): string | null {
  const fresh = (process.env[DIST_FRESH_ENV] ?? '').split(',');
  const root = join(__dirname, '..', '..');
  const rel = relative(root, file);
  if (!file.endsWith('.ts') || isAbsolute(rel) || !fresh.includes(rel.split(sep)[0])) return null;
  const out = join(root, 'dist', rel.replace(/\.ts$/, '.js'));
  return existsSync(out) ? out : null;
}

/**
 * Starts a search worker. From compiled JS it runs `searchWorker.js`. From TypeScript source
 * (tests) it runs the compiled worker and recipe module in dist/ when dist/ is known to match
 * the sources (`compiledTwin`: what the tests arrange, since registering ts-node in a thread
 * costs seconds); otherwise, as for a recipe module dist/ does not have (a test's own model),
 * it registers ts-node in the worker first, so that the worker loads the same sources.
 */
function startWorker(setup: Omit<WorkerSetup, 'port'>, port: MessagePort): Worker {
  const data = { ...setup, port, dmaownSearchWorker: true };
  const transferList = [port];
  if (__filename.endsWith('.ts')) {
    const entry = join(__dirname, 'searchWorker.ts');
    const compiled = compiledTwin(entry);
    const module = compiledTwin(setup.recipe.module);
    if (compiled && module) {
      return new Worker(compiled, { workerData: { ...data, recipe: { ...setup.recipe, module } }, transferList });
    }
    // ts-node as this module resolves it, with the project's tsconfig: eval'd code would
    // resolve both from the working directory.
    const tsNode = JSON.stringify(require.resolve('ts-node'));
    const project = JSON.stringify(join(__dirname, '..', '..', 'tsconfig.json'));
    const code = `require(${tsNode}).register({ transpileOnly: true, project: ${project} }); require(${JSON.stringify(entry)});`;
    return new Worker(code, { eval: true, workerData: data, transferList });
  }
  return new Worker(join(__dirname, 'searchWorker.js'), { workerData: data, transferList });
}

/**
 * The search on `cfg.workers` threads: `cfg.workers - 1` worker threads and the calling thread.
 * The calling thread sends consecutive chunks of stored states to the workers, which evaluate
 * the states' properties (with `stopWhenDecided` the calling thread evaluates each level itself
 * before expanding it, and those answers go unused), compute their (canonicalized, hashed) successors and, with two worker
 * threads or more, look them up in the visited set (shared memory, read only: most successors
 * are states stored already); it then merges the results into `search` strictly in id order,
 * as the single-threaded loop would, adding the successors the workers did not find. So the numbering of states, the counts, the
 * verdicts and the counterexamples do not depend on the number of workers or on timing.
 * The calling thread blocks (Atomics.wait) while it waits for results. Between steps (see
 * SearchRun) the workers finish the chunks they hold; the last step, or `stop`, ends them.
 */
export function searchInParallel(model: PackedModel, search: SearchState, cfg: CheckConfig, started: number): SearchRun {
  const W = model.words;
  const store = search.store;
  const lookups = workersLookUp(cfg.workers);
  // Word 0: bumped after every message a worker posts; word 1 + i: worker i's beats.
  const signal = new SharedArrayBuffer(4 * (1 + workerThreads(cfg.workers)));
  const sig = new Int32Array(signal);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const load: number[] = [];
  /** The store generation each worker last saw. */
  const seenGeneration: number[] = [];
  /**
   * An error a worker thread did not catch itself (it posts the ones it catches), as its 'error'
   * event reports it, or its end before the search's (its 'exit' event: a `process.exit` in a
   * worker ends that thread only). The events come only when the event loop turns: between steps
   * (each step returns by its deadline, even while it waits for a result).
   */
  const failures: (Error | null)[] = [];
  for (let i = 0; i < workerThreads(cfg.workers); i++) {
    const ch = new MessageChannel();
    ports.push(ch.port1);
    const w = startWorker({ recipe: model.recipe!, properties: cfg.props.all.map((p) => p.name), symmetry: cfg.symmetry !== null, signal, index: i }, ch.port2);
    w.unref();
    failures.push(null);
    w.on('error', (e: Error) => { failures[i] = e; });
    w.on('exit', (code: number) => { if (!closed) failures[i] ??= new Error(threadEnded(code)); });
    workers.push(w);
    load.push(0);
    seenGeneration.push(-1);
  }
  const pending: Pending[] = [];
  let chunks = 0;
  let sentEnd = 0;

  const dispatch = () => {
    while (pending.length < workers.length * IN_FLIGHT_PER_WORKER) {
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

  /**
   * A worker's result: the expansion, what the worker's model's memo holds after it, and the
   * worker's own caches and tables (its StoreReader's cache, its symmetry's tables).
   */
  type Result = ExpandedChunk & { chunk: number; memoBytes: number; bufferBytes: number };
  /** Per worker: the bytes of the largest chunk it was sent and its result, both arrays. */
  const largestChunk: number[] = workers.map(() => 0);
  /** Results received but not merged yet, per worker, in the order the worker sent them. */
  const inbox: Result[][] = workers.map(() => []);
  const drain = () => {
    for (let i = 0; i < ports.length; i++) {
      for (let got = receiveMessageOnPort(ports[i]); got; got = receiveMessageOnPort(ports[i])) {
        const msg = got.message as Result & { error?: string };
        if (msg.error !== undefined) throw new WorkerError(`search worker ${i} failed: ${msg.error}`);
        inbox[i].push(msg);
      }
    }
  };
  /** How long the chunk being waited for (`quietChunk`) has had no answer, over all steps. */
  let quiet = 0;
  let quietChunk = -1;
  /** Its worker's beat counter when last read, and how long it has stayed the same since. */
  let beat = 0;
  let still = 0;
  /**
   * The result of chunk `p`, or null once `deadline` has passed without it: the step then
   * returns, so that the event loop turns (a worker's 'error' event is delivered only then;
   * so are signals), and the next step waits again.
   */
  const receive = (p: Pending, deadline: number): Result | null => {
    if (quietChunk !== p.chunk) { quietChunk = p.chunk; quiet = 0; beat = Atomics.load(sig, 1 + p.worker); still = 0; }
    for (;;) {
      const seen = Atomics.load(sig, 0);
      const failure = failures[p.worker];
      if (failure) throw new WorkerError(`search worker ${p.worker} failed: ${failure instanceof Error ? failure.message : String(failure)}`);
      drain();
      const msg = inbox[p.worker].shift();
      if (msg) {
        if (msg.chunk !== p.chunk) throw new WorkerError(`search worker ${p.worker} answered chunk ${msg.chunk} instead of ${p.chunk}`);
        return msg;
      }
      const left = deadline - performance.now();
      if (left <= 0) return null;
      const wait = Math.max(1, Math.min(WAIT_MS, Math.ceil(left)));
      if (Atomics.wait(sig, 0, seen, wait) === 'timed-out') {
        quiet += wait;
        if (quiet >= SILENCE_MS) throw new WorkerError(`no answer from search worker ${p.worker} for ${SILENCE_MS / 60000} minutes`);
        const now = Atomics.load(sig, 1 + p.worker);
        if (now !== beat) { beat = now; still = 0; } else if ((still += wait) >= liveness.silenceMs) {
          throw new WorkerError(`search worker ${p.worker} failed: no sign of life from the thread for ${formatDuration(liveness.silenceMs)} (it ended without a word, or hangs)`);
        }
      } else {
        quiet = 0;
      }
    }
  };

  // Where the merge is between steps: the next state to merge, and the levels' bookkeeping.
  let at = 0;
  const levels = new LoopLevels(search, cfg);
  let charged = false;
  let closed = false;
  const settles = search.settles;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const w of workers) void w.terminate();
    for (const port of ports) port.close();
  };
  const step = (deadline: number): LoopOutcome | undefined => {
    let id = at;
    let sink = 0;
    let ended = true;
    try {
      if (!charged && model.memoBytes) search.budget.charge('model', model.memoBytes());
      charged = true;
      for (let first = true; ; first = false) {
        if (!first && performance.now() >= deadline) {
          // The workers go on with the chunks they hold while this thread is away.
          at = id;
          ended = false;
          // `sink` (an integer, never 0.5) only keeps the prepares' reads from being optimized away.
          if (sink === 0.5) throw new Error('unreachable');
          return undefined;
        }
        dispatch();
        const p = pending.shift();
        if (!p) break;
        const r = receive(p, deadline);
        if (r === null) {
          // Still waiting at the deadline: the chunk stays first in line, and the deadline check
          // above ends the step.
          pending.unshift(p);
          continue;
        }
        load[p.worker]--;
        // Each worker's memo (its own decision trees) is charged to the budget as it reports it.
        search.budget.charge(`worker ${p.worker}`, r.memoBytes);
        // And its buffers: its caches and tables, and the chunks it may hold at once (requests
        // and results), each counted as large as the largest it had so far.
        let bytes = p.n * W * 4;
        for (const b of chunkBuffers(r)) bytes += b.byteLength;
        largestChunk[p.worker] = Math.max(largestChunk[p.worker], bytes);
        search.budget.charge(`worker ${p.worker} buffers`, r.bufferBytes + IN_FLIGHT_PER_WORKER * largestChunk[p.worker], 'buffers');
        let s = 0;
        let prepared = 0;
        for (let i = 0; i < p.n; i++) {
          id = p.first + i;
          if (i === prepared) {
            // The next MERGE_BATCH states' successors: ids from the recent-rows cache, and the
            // visited set touched for the rest, before they are added one by one.
            prepared = Math.min(p.n, i + MERGE_BATCH);
            let to = s;
            for (let j = i; j < prepared; j++) to += r.counts[j];
            // Self-loops' actions are complemented (negative): `prepare` skips them.
            sink ^= search.prepare(r.rows, r.hashes, r.actions, r.ids, s, to);
          }
          // With stopWhenDecided this thread visits each new level itself (the workers' answers for
          // it come later, and go unused).
          const stop = levels.before(id);
          if (stop) return stop;
          if (id >= levels.visited) {
            search.visit(id, r.bits[i]);
            levels.visited = id + 1;
          }
          const end = s + r.counts[i];
          for (; s < end; s++) {
            const f = r.flags[s];
            const a = r.actions[s];
            if (a < 0) search.addSelfLoop(id, ~a, f);
            else if (r.ids[s] >= 0) search.addKnown(id, a, f, r.ids[s]);
            else search.addSuccessor(id, a, f, r.rows, s * W, r.hashes[s]);
          }
          if (settles) search.settle(id);
          if (cfg.onProgress && id % cfg.progressEvery === 0 && id > 0) {
            cfg.onProgress({ states: store.count, transitions: search.transitions, depth: levels.depth, queue: store.count - id, elapsedMs: performance.now() - started });
          }
        }
        id = p.first + p.n;
        // The worker writes its next results over these arrays.
        const back: Recycle = { recycle: { bits: r.bits, counts: r.counts, actions: r.actions, ids: r.ids, flags: r.flags, hashes: r.hashes, rows: r.rows } };
        ports[p.worker].postMessage(back, chunkBuffers(r));
      }
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      return levels.outcome(id, memoryReason(e));
    } finally {
      if (ended) close();
    }
    if (sink === 0.5) throw new Error('unreachable');
    return levels.outcome(id);
  };
  return {
    step,
    stop(reason) {
      close();
      return levels.outcome(at, reason);
    },
  };
}

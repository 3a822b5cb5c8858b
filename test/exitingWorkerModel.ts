/**
 * A model recipe for test/workers.test.ts whose worker thread ends at once (`process.exit` in
 * a worker ends that thread only), before it answers anything. With `silent`, the thread's own
 * 'exit' handlers are removed first, so that it ends without a word, as a thread that fails to
 * load does.
 */
export function exitingWorkerModel(args: { silent?: boolean } | null): never {
  if (args?.silent) process.removeAllListeners('exit');
  process.exit(3);
}

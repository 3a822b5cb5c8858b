/**
 * A model recipe for test/workers.test.ts whose worker thread ends at once (`process.exit` in
 * a worker ends that thread only), before it answers anything: a worker that dies without a word.
 */
export function exitingWorkerModel(): never {
  process.exit(3);
}

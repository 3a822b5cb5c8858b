/**
 * Resolves once `out` has written what it holds ('drain'), or once it can write no more (an
 * error, such as EPIPE from a reader that went away, or closed): a writer that waits for it
 * after `write` returns false holds at most one buffer of output in memory. Its errors are left
 * to the stream's own listeners (the CLI's `watchStdout`).
 */
export function drained(out: NodeJS.WritableStream & { readonly writableLength: number; readonly destroyed: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (out.writableLength === 0 || out.destroyed) { resolve(); return; }
    const done = (): void => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('error', done);
    out.on('close', done);
  });
}

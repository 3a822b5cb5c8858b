/**
 * A progress line on stderr for searches longer than a second, only on a terminal and never in
 * CI (`CI` set): CI logs get no control characters.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true && !process.env.CI;
  let shown = false;
  return {
    onProgress: enabled
      ? (p: { states: number; transitions: number; depth: number; queue: number; elapsedMs: number }) => {
          if (p.elapsedMs < 1000) return;
          shown = true;
          const rate = Math.round((p.states / p.elapsedMs) * 1000);
          stream.write(`\r\x1b[K  states ${p.states.toLocaleString('en-US')}  ${rate.toLocaleString('en-US')}/s  depth ${p.depth}  queue ${p.queue.toLocaleString('en-US')}`);
        }
      : undefined,
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

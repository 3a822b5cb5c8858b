/**
 * A progress line on stderr for searches longer than a second, only on a terminal and never in
 * CI (`CI` set): CI logs get no control characters. `label` names what is being searched (a
 * command that runs several searches, like compare, says which); the line starts with it.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true && !process.env.CI;
  let shown = false;
  let prefix = '';
  return {
    onProgress: enabled
      ? (p: { states: number; transitions: number; depth: number; queue: number; elapsedMs: number }) => {
          if (p.elapsedMs < 1000) return;
          shown = true;
          const rate = Math.round((p.states / p.elapsedMs) * 1000);
          stream.write(`\r\x1b[K  ${prefix}states ${p.states.toLocaleString('en-US')}  ${rate.toLocaleString('en-US')}/s  depth ${p.depth}  queue ${p.queue.toLocaleString('en-US')}`);
        }
      : undefined,
    /** Names the search that follows (e.g. `v7 (3/11)`); the next progress line starts with it. */
    label(text: string) {
      prefix = text ? `${text}: ` : '';
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

import { approx } from './sizeCheck';

/** What a progress line reports of a search (CheckProgress's fields it reads). */
export interface ProgressFigures {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly queue: number;
  readonly elapsedMs: number;
}

/**
 * The progress line for `p`: `label` names the search, `expected` is its estimated size
 * (sizeEstimate): `states N of ~M (estimated)`, or `(past the ~M estimated)` once the search
 * has stored more than the estimate.
 */
export function progressLine(p: ProgressFigures, label = '', expected?: number): string {
  const rate = Math.round((p.states / p.elapsedMs) * 1000);
  const m = expected !== undefined ? approx(expected).replace(/^about /, '~') : '';
  const of = expected === undefined ? '' : p.states <= expected ? ` of ${m} (estimated)` : ` (past the ${m} estimated)`;
  return `  ${label ? `${label}: ` : ''}states ${p.states.toLocaleString('en-US')}${of}  ${rate.toLocaleString('en-US')}/s  depth ${p.depth}  queue ${p.queue.toLocaleString('en-US')}`;
}

/**
 * A progress line on stderr for searches longer than a second, only on a terminal and never in
 * CI (`CI` set): CI logs get no control characters. `label` names the search that follows (a
 * command that runs several, like compare, says which) and, when known, its estimated size;
 * the line then starts with the name and gives the states as a part of that estimate.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true && !process.env.CI;
  let shown = false;
  let name = '';
  let expected: number | undefined;
  return {
    onProgress: enabled
      ? (p: ProgressFigures) => {
          if (p.elapsedMs < 1000) return;
          shown = true;
          stream.write(`\r\x1b[K${progressLine(p, name, expected)}`);
        }
      : undefined,
    /** Names the search that follows (e.g. `v7 (3/11)`) and its estimated states, if any. */
    label(text: string, estimate?: number) {
      name = text;
      expected = estimate;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

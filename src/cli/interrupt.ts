/**
 * Ctrl-C and CI cancellation for long commands: SIGINT and SIGTERM become an abort of a search
 * (see core/check's `checkAsync`), so that the command still writes its reports, marked
 * incomplete, before it ends.
 */

/** The signals handled, with the exit status a shell reports for a process they kill (128 + number). */
const STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
export type InterruptSignal = keyof typeof STATUS;

/** While a command runs: which signal arrived (if any), and the AbortSignal it aborted. */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** The first signal that arrived, or null. */
  caught(): InterruptSignal | null;
  /** Removes the handlers (call when the command is done with its search). */
  dispose(): void;
}

/**
 * Handles SIGINT and SIGTERM until `dispose`: the first to arrive aborts `signal` with the
 * signal's name as reason and removes both handlers, so that a second one ends the process at
 * once, as if nothing handled it.
 */
export function interruptOnSignals(): Interrupt {
  const controller = new AbortController();
  let caught: InterruptSignal | null = null;
  const handlers: [InterruptSignal, () => void][] = [];
  const dispose = () => {
    for (const [name, h] of handlers) process.removeListener(name, h);
    handlers.length = 0;
  };
  for (const name of Object.keys(STATUS) as InterruptSignal[]) {
    const h = () => {
      caught = name;
      dispose();
      controller.abort(name);
    };
    handlers.push([name, h]);
    process.on(name, h);
  }
  return { signal: controller.signal, caught: () => caught, dispose };
}

/**
 * Runs a command's search with SIGINT and SIGTERM handled (`interruptOnSignals`): `search` gets
 * the AbortSignal to pass on, `done` runs once it has ended however it ended (e.g. to clear the
 * progress line). Returns the search's value and the signal that interrupted it, if one did.
 */
export async function interruptible<T>(search: (signal: AbortSignal) => Promise<T>, done: () => void): Promise<{ value: T; caught: InterruptSignal | null }> {
  const interrupt = interruptOnSignals();
  try {
    const value = await search(interrupt.signal);
    return { value, caught: interrupt.caught() };
  } finally {
    interrupt.dispose();
    done();
  }
}

/** The exit code a command returns after `signal` interrupted it: the shell's 128 + number. */
export function interruptedExitCode(signal: InterruptSignal): number {
  return STATUS[signal];
}

/**
 * The signal behind an exit code from `interruptedExitCode`, if it is one. The CLI's entry
 * point re-raises it once the reports are written, so that a shell or CI runner sees the
 * process end by that signal (and a shell loop stops), not with an ordinary exit status.
 */
export function signalOfExitCode(code: number): InterruptSignal | undefined {
  return (Object.keys(STATUS) as InterruptSignal[]).find((s) => STATUS[s] === code);
}

/** A `dmaown` subcommand: its help text and its entry point (which returns the exit code). */
export interface Command {
  readonly name: string;
  /** One line for `dmaown --help`. */
  readonly summary: string;
  /** Full `dmaown NAME --help` text. */
  readonly help: string;
  run(argv: readonly string[]): Promise<number>;
}

/** Exit codes of every command (documented in the README). */
export const EXIT = {
  OK: 0,
  VIOLATED: 1,
  USAGE: 2,
  INCOMPLETE: 3,
  INTERNAL: 4,
} as const;

import type { Expected } from './expectations';

/** The file names `dmaown check` looks for in the current directory, in this order. */
export const CONFIG_FILES = ['dmaown.config.json', 'dmaown.config.js', 'dmaown.config.cjs', 'dmaown.config.mjs', 'dmaown.config.ts'] as const;

/** One entry of `checks`: a design (or several) at one or more bounds. */
export interface ConfigCheck {
  /** Design name, or several (`dmaown designs` lists them). */
  readonly design: string | readonly string[];
  /** Devices in the group, 1 to 8 (to 16 with symmetry), or several bounds (default 3). */
  readonly devices?: number | readonly number[];
  /** Invariants to check (default: all). */
  readonly invariants?: readonly string[];
  /** Verdicts the project expects other than `holds`, e.g. `{ "no-warn": "violated" }`. */
  readonly expect?: Readonly<Record<string, Expected>>;
}

/** The contents of `dmaown.config.json` (or the default export of `.js` / `.ts`). */
export interface DmaownConfig {
  /** Ignored: lets an editor find a JSON schema. */
  readonly $schema?: string;
  readonly checks: readonly ConfigCheck[];
  /** Stop each search once it stores more than this many distinct states (`--max-states` overrides it). */
  readonly maxStates?: number;
  /** Memory budget of each search, like "512M" or "8G", or a number of bytes (`--max-memory` overrides it). */
  readonly maxMemory?: string | number;
  /**
   * Time budget of each search, like "90s", "10m" or "2h", or a number of seconds (`--max-time`
   * overrides it); a search it stops is incomplete, and where it stops depends on the
   * machine's speed.
   */
  readonly maxTime?: string | number;
  /**
   * Reduce each search by the devices' and users' symmetry where the design has it, and allow
   * bounds up to 16 devices (`--symmetry` / `--symmetry=false` override it).
   */
  readonly symmetry?: boolean;
  /** Threads each search runs on, 1 to 64 (`--workers` overrides it). */
  readonly workers?: number;
  /**
   * End each search once the BFS level by whose states every invariant it checks is violated
   * is stored and checked (`--stop-when-decided` / `--stop-when-decided=false` override it);
   * one that holds still needs the whole bound.
   */
  readonly stopWhenDecided?: boolean;
}

/** Identity function that type-checks a `dmaown.config.ts` / `.js` export. */
export function defineConfig(c: DmaownConfig): DmaownConfig {
  return c;
}

/**
 * How well the size estimate's extrapolation rule predicts real counts (`src/iommu/sizeEstimate.ts`).
 * Searches every design completely, without properties, at 2 devices and up (to --max-sym
 * devices with symmetry, to --max-plain without), leaving a bound and the ones after it out once
 * a search passes --cap states. Then, from every three consecutive counts, extrapolates one to
 * --ahead devices further by three rules and compares each with the real count there:
 *
 * - `constant`: the last growth per device unchanged;
 * - `sqrt`: the estimate's own rule (`extrapolate`: the growth changed each device by the square
 *   root of its last change, held within MIN_TREND and MAX_TREND);
 * - `full`: the growth changed each device by the whole of its last change.
 *
 *   npm run build && node dist/bench/estimateStudy.js [--cap N] [--max-sym N] [--max-plain N] [--ahead N] [--designs a,b]
 *
 * Prints, per design and symmetry, the bounds counted and each rule's worst ratio of estimate to
 * real count (the one furthest from 1, by factor), and the counts themselves. Deterministic: the
 * counts are the checker's, and the same options give the same table.
 */
import { check } from '../src/core/check';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { buildIommuModel } from '../src/iommu/iommuModel';
import { extrapolate } from '../src/iommu/sizeEstimate';
import { int, table } from './format';

/** An extrapolation rule: the count `ahead` devices past the last of three consecutive counts. */
export type Rule = (counts: readonly [number, number, number], ahead: number) => number;

export const RULES: Readonly<Record<'constant' | 'sqrt' | 'full', Rule>> = {
  constant: ([, b, c], ahead) => c * (c / b) ** ahead,
  sqrt: (counts, ahead) => extrapolate(counts, ahead).states,
  full: ([a, b, c], ahead) => {
    const change = c / b / (b / a);
    let g = c / b;
    let s = c;
    for (let i = 0; i < ahead; i++) {
      g = Math.max(1, g * change);
      s *= g;
    }
    return s;
  },
};

/**
 * The worst ratio of estimate to real count a rule gives over `counts` (consecutive bounds):
 * from every three consecutive counts, one to `maxAhead` bounds further where a real count
 * exists. "Worst" is furthest from 1 by factor (0.5 is as bad as 2). Null when fewer than four
 * counts leave nothing to compare. Pure.
 */
export function worstRatio(rule: Rule, counts: readonly number[], maxAhead: number): number | null {
  let worst: number | null = null;
  for (let i = 0; i + 2 < counts.length; i++) {
    const three = [counts[i], counts[i + 1], counts[i + 2]] as const;
    for (let k = 1; k <= maxAhead && i + 2 + k < counts.length; k++) {
      const r = rule(three, k) / counts[i + 2 + k];
      if (worst === null || Math.abs(Math.log(r)) > Math.abs(Math.log(worst))) worst = r;
    }
  }
  return worst;
}

interface StudyOptions {
  cap: number;
  maxSym: number;
  maxPlain: number;
  ahead: number;
  designs?: readonly string[];
}

function parse(argv: readonly string[]): StudyOptions {
  const o: StudyOptions = { cap: 4_000_000, maxSym: 10, maxPlain: 8, ahead: 6 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const num = (): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} takes a positive whole number, not ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
      i++;
      return n;
    };
    if (a === '--cap') o.cap = num();
    else if (a === '--max-sym') o.maxSym = Math.min(16, num());
    else if (a === '--max-plain') o.maxPlain = Math.min(8, num());
    else if (a === '--ahead') o.ahead = num();
    else if (a === '--designs') {
      if (v === undefined || v === '') throw new Error('--designs takes a comma-separated list of design names');
      o.designs = v.split(',');
      i++;
    }
    else throw new Error(`unknown option ${JSON.stringify(a)} (see the comment at the top of bench/estimateStudy.ts)`);
  }
  return o;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const all = await loadDesigns();
  const designs = o.designs ? o.designs.map((n) => all.find((d) => d.name === n) ?? (() => { throw new Error(`unknown design ${n}`); })()) : all;
  const invariants = await loadInvariants();
  const rows: string[][] = [];
  const fmt = (r: number | null): string => (r === null ? '-' : r.toFixed(2));
  for (const design of designs) {
    for (const symmetry of [false, true]) {
      const counts: number[] = [];
      let reduced = true;
      for (let n = 2; n <= (symmetry ? o.maxSym : o.maxPlain); n++) {
        const model = buildIommuModel(design, n, invariants, { symmetry });
        if (symmetry && model.symmetry === undefined) { reduced = false; break; }
        const started = performance.now();
        const r = check(model, { symmetry, maxStates: o.cap, properties: [] });
        process.stderr.write(`${design.name}${symmetry ? ' (symmetry)' : ''} at ${n}: ${int(r.states)}${r.complete ? '' : ' (stopped)'} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
        if (!r.complete) break;
        counts.push(r.states);
      }
      if (!reduced) continue;
      rows.push([
        `${design.name}${symmetry ? ', symmetry' : ''}`,
        counts.length ? `2 to ${counts.length + 1}` : '-',
        fmt(worstRatio(RULES.constant, counts, o.ahead)),
        fmt(worstRatio(RULES.sqrt, counts, o.ahead)),
        fmt(worstRatio(RULES.full, counts, o.ahead)),
        counts.map(int).join(' / '),
      ]);
    }
  }
  process.stdout.write(`cap ${int(o.cap)} states a search; up to ${o.ahead} devices ahead\n`);
  process.stdout.write(table(['design', 'bounds', 'constant', 'sqrt', 'full', 'counts'], rows) + '\n');
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`estimateStudy: ${e.message}\n`);
    process.exit(2);
  });
}

import type { CheckAsyncOptions } from '../core/check';
import { checkDesignAsync } from '../iommu/checkDesign';
import type { CheckRun } from './expectations';
import type { CheckPlan } from './validateConfig';

/**
 * Runs every design and bound of a plan, one after the other, with the same search options
 * (budgets, progress), with `checkDesignAsync`: one report covers them all, and the event loop
 * turns while each run searches. Once `options.signal` is aborted, the run in progress stops
 * (incomplete) and no further run starts: the runs returned are those started, in the plan's
 * order. `onRun` is told before each starts.
 */
export async function runPlanAsync(plan: CheckPlan, options: CheckAsyncOptions = {}, onRun?: (index: number) => void): Promise<CheckRun[]> {
  const out: CheckRun[] = [];
  for (const [i, r] of plan.runs.entries()) {
    if (options.signal?.aborted) break;
    onRun?.(i);
    out.push({ dc: await checkDesignAsync(r.design, r.devices, r.invariants, options), expect: r.expect });
  }
  return out;
}

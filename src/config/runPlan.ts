import type { CheckAsyncOptions, CheckOptions } from '../core/check';
import { checkDesign, checkDesignAsync } from '../iommu/checkDesign';
import type { CheckRun } from './expectations';
import type { CheckPlan } from './validateConfig';

/**
 * Runs every design and bound of a plan, one after the other, with the same search options
 * (budgets, progress): one report covers them all.
 */
export function runPlan(plan: CheckPlan, options: CheckOptions = {}): CheckRun[] {
  return plan.runs.map((r) => ({ dc: checkDesign(r.design, r.devices, r.invariants, options), expect: r.expect }));
}

/**
 * `runPlan` with `checkDesignAsync`: the event loop turns while each run searches. Once
 * `options.signal` is aborted, the run in progress stops (incomplete) and no further run starts:
 * the runs returned are those started, in the plan's order. `onRun` is told before each starts.
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

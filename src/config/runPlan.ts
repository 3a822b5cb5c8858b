import type { CheckOptions } from '../core/check';
import { checkDesign } from '../iommu/checkDesign';
import type { CheckRun } from './expectations';
import type { CheckPlan } from './validateConfig';

/**
 * Runs every design and bound of a plan, one after the other, with the same search options
 * (budgets, progress): one report covers them all.
 */
export function runPlan(plan: CheckPlan, options: CheckOptions = {}): CheckRun[] {
  return plan.runs.map((r) => ({ dc: checkDesign(r.design, r.devices, r.invariants, options), expect: r.expect }));
}

import { InputError } from '../errors';
import { checkDesign, type DesignCheck } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import type { Invariant } from '../iommu/invariant';
import { plural } from '../report/plural';

/**
 * The check a diagram of counterexamples draws from (`--reachable`, `--sequence`), within a
 * memory budget: a check the budget stops has no shortest counterexamples to draw, so it is an
 * InputError saying why and to pass fewer devices. (The CLI refuses bounds estimated too large
 * before it calls this.)
 */
export function checkForDiagram(design: Design, devices: number, invariants: readonly Invariant[], maxMemory?: number): DesignCheck {
  const dc = checkDesign(design, devices, invariants, maxMemory === undefined ? {} : { maxMemory });
  if (!dc.result.complete) {
    throw new InputError(`the check of ${design.name} at ${plural(devices, 'device')} stopped before it decided (${dc.result.stopReason}): nothing to draw; pass a smaller --devices`);
  }
  return dc;
}

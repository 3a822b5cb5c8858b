/**
 * dmaown's public API (`import ... from 'dmaown'`): the generic checker, the machine compiler,
 * and the IOMMU designs, invariants and reports. Matchers for Vitest are in 'dmaown/testing',
 * the configuration file's helper in 'dmaown/config'.
 */
export { check, checkAsync, type CheckAsyncOptions, type CheckOptions, type CheckResult, type PropertyResult, type Path } from './core/check';
export { DECIDED_REASON, stoppedUndecided } from './core/searchLoop';
export { Successors, type PackedModel, type Property } from './core/model';
export { machineModel, type MachineModel, type MachineModelSpec, type MachineProperty, type MachineState } from './core/machineModel';
export { compileMachine, type CompiledMachine } from './machine/compileMachine';
export { effect, type Effect } from './machine/effect';
export type { GroupContext, DeviceContext, UserContext } from './model/context';
export type { Design } from './iommu/design';
export { defineInvariant, type Invariant } from './iommu/invariant';
export { loadDesigns } from './iommu/designRegistry';
export { loadInvariants } from './iommu/invariantRegistry';
export { checkDesign, checkDesignAsync, type DesignCheck, type InvariantVerdict } from './iommu/checkDesign';
export { estimateSize, minBytesPerState, type SizeEstimate } from './iommu/sizeEstimate';
export { replayEvents, type TraceStep } from './iommu/replay';
export { parseEvent, type IommuEvent } from './iommu/events';
export { InputError } from './errors';

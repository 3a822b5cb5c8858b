import type { InvariantVerdict } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import { formatEvent } from '../iommu/events';
import { freshGroupSteps } from '../iommu/freshGroupSteps';
import { initialTraceState } from '../iommu/replay';
import { errnoName } from '../model/vocabulary';
import { mermaidText } from './labels';
import { CALLER_LANES, laneOf } from './lanes';
import { stateLines } from './stateLabel';

type Violated = Extract<InvariantVerdict, { verdict: 'violated' }>;

const LANE_ID: Readonly<Record<string, string>> = { 'driver-core': 'DC', 'kernel-driver': 'KD', file1: 'F1', file2: 'F2' };
const LANE_TITLE: Readonly<Record<string, string>> = { 'driver-core': 'driver core', 'kernel-driver': 'kernel driver', file1: 'VFIO user file1', file2: 'VFIO user file2' };
const IOMMU = 'IO';

/**
 * A counterexample as a Mermaid `sequenceDiagram`: one lane per caller (driver core, kernel
 * driver, each VFIO user) and one for the IOMMU core; each call an arrow to the IOMMU core
 * answered with its return code; a WARN_ON as a note naming the guard that fired; the group
 * state in a note whenever a call changes it; a note at a step that takes the model's one-group
 * shortcut (`freshGroupSteps`); the state that breaks the invariant, and why, last.
 */
export function sequenceMermaid(design: Design, devices: number, v: Violated): string {
  const schema = design.schema(devices);
  const out = ['sequenceDiagram'];
  for (const lane of CALLER_LANES) out.push(`  participant ${LANE_ID[lane]} as ${LANE_TITLE[lane]}`);
  out.push(`  participant ${IOMMU} as IOMMU core (${mermaidText(design.name)})`);
  const first = LANE_ID[CALLER_LANES[0]];
  const init = initialTraceState(design, devices);
  const stateNote = (state: string, lines: string[]) => `  Note over ${IOMMU}: ${[state, ...lines].map(mermaidText).join('<br/>')}`;
  let prev = [init.state, ...stateLines(schema, init.context)].join('\n');
  out.push(stateNote(init.state, stateLines(schema, init.context)));
  const shortcuts = new Map(freshGroupSteps(design, devices, v.trace).map((f) => [f.step, f.devices] as const));
  for (const s of v.trace) {
    const lane = LANE_ID[laneOf(design, devices, s.event)];
    out.push(`  ${lane}->>${IOMMU}: ${s.step}. ${mermaidText(formatEvent(s.event))}`);
    out.push(`  ${IOMMU}-->>${lane}: ${mermaidText(errnoName(s.ret))}`);
    const joined = shortcuts.get(s.step);
    if (joined) out.push(`  Note over ${first},${IOMMU}: ${mermaidText(`one-group shortcut: the group had no member left and was not fresh; the kernel would give ${joined.map((d) => `device ${d}`).join(' and ')} a fresh group here`)}`);
    if (s.warn) out.push(`  Note over ${IOMMU}: ${mermaidText(`WARN_ON fired${s.fired?.guardName ? ` [${s.fired.guardName}]` : ''}`)}`);
    const lines = stateLines(schema, s.context);
    const now = [s.state, ...lines].join('\n');
    if (now !== prev) out.push(stateNote(s.state, lines));
    prev = now;
  }
  out.push(`  Note over ${first},${IOMMU}: ${mermaidText(`✗ ${v.name} broken: ${v.explanation}`)}`);
  return out.join('\n') + '\n';
}

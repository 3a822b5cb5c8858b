import { changingEdges, mermaidId, mermaidText, selfLoopLabels, transitionLine, type SelfLoops } from './labels';
import type { Statechart } from './statechart';
import { plural } from '../report/plural';

/**
 * The statechart as a Mermaid `stateDiagram-v2` (GitHub renders it in markdown). One transition
 * per pair of states, its label one line per guarded alternative; the calls that leave a state
 * unchanged (as `selfLoops` selects) in a note beside it.
 */
export function statechartMermaid(sc: Statechart, selfLoops: SelfLoops = 'none'): string {
  const out = ['stateDiagram-v2', '  direction LR'];
  for (const s of sc.states) {
    const label = s.reached ? s.name : `${s.name} (not reached at ${plural(sc.devices, 'device')})`;
    out.push(`  state "${mermaidText(label)}" as ${mermaidId(s.name)}`);
  }
  out.push(`  [*] --> ${mermaidId(sc.initial)}`);
  for (const e of changingEdges(sc)) {
    out.push(`  ${mermaidId(e.from)} --> ${mermaidId(e.to)}: ${e.labels.map((l) => mermaidText(transitionLine(l))).join('<br/>')}`);
  }
  for (const s of sc.states) {
    const loops = selfLoopLabels(sc, s.name, selfLoops);
    if (loops.length === 0) continue;
    out.push(`  note right of ${mermaidId(s.name)}`);
    out.push(`    unchanged by${selfLoops === 'errors' ? ' (failing or warning)' : ''}:`);
    for (const l of loops) out.push(`    ${mermaidText(transitionLine(l))}`);
    out.push('  end note');
  }
  return out.join('\n') + '\n';
}

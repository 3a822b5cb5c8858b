import { formatEvent } from '../iommu/events';
import type { Design } from '../iommu/design';
import { errnoName } from '../model/vocabulary';
import { mermaidText } from './labels';
import { reachableTitle } from './reachableDot';
import type { ReachableGraph } from './reachableGraph';
import { stateLines } from './stateLabel';

/**
 * The reachable graph as a Mermaid flowchart, laid out left to right by depth: states on the
 * highlighted path or breaking an invariant get their fields, the others only their number;
 * the path's calls are numbered and drawn thick, WARN_ON calls dotted.
 */
export function reachableMermaid(design: Design, g: ReachableGraph): string {
  const schema = design.schema(g.devices);
  const out = ['---', `title: ${JSON.stringify(reachableTitle(g).replace(/\n/g, ' '))}`, '---', 'flowchart LR'];
  out.push('  classDef broken fill:#f6d5d1,stroke:#c0392b', '  classDef path fill:#e3ecfa,stroke:#1f5fbf,stroke-width:2px', '  classDef pathend fill:#f6d5d1,stroke:#c0392b,stroke-width:3px');
  for (const n of g.nodes) {
    if (n.onPath || n.broken.length > 0) {
      const head = `s${n.id} ${n.state}${n.broken.length ? ` ✗ ${n.broken.join(', ')}` : ''}`;
      out.push(`  s${n.id}["${[head, ...stateLines(schema, n.context)].map(mermaidText).join('<br/>')}"]`);
    } else {
      out.push(`  s${n.id}((s${n.id}))`);
    }
  }
  const styles: string[] = [];
  g.edges.forEach((e, i) => {
    if (e.pathStep >= 0) {
      const label = `${e.pathStep}. ${formatEvent(e.event)}${e.ret !== 0 ? ` → ${errnoName(e.ret)}` : ''}${e.warn ? ' WARN' : ''}`;
      out.push(`  s${e.src} ==>|"${mermaidText(label)}"| s${e.dst}`);
      styles.push(`  linkStyle ${i} stroke:${e.warn ? '#c0392b' : '#1f5fbf'},stroke-width:3px`);
    } else if (e.warn) {
      out.push(`  s${e.src} -.-> s${e.dst}`);
      styles.push(`  linkStyle ${i} stroke:#c0392b`);
    } else {
      out.push(`  s${e.src} --> s${e.dst}`);
    }
  });
  out.push(...styles);
  for (const n of g.nodes) {
    const cls = n.id === g.pathEnd ? 'pathend' : n.broken.length > 0 ? 'broken' : n.onPath ? 'path' : null;
    if (cls) out.push(`  class s${n.id} ${cls}`);
  }
  return out.join('\n') + '\n';
}

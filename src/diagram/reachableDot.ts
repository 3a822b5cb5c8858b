import type { Design } from '../iommu/design';
import { formatEvent } from '../iommu/events';
import { errnoName } from '../model/vocabulary';
import { dotString } from './labels';
import type { ReachableGraph, ReachableNode } from './reachableGraph';
import { WARN_COLOR } from './statechartDot';
import { stateLines } from './stateLabel';
import { plural } from '../report/plural';

const PATH_COLOR = '#1f5fbf';
const BROKEN_FILL = '#f6d5d1';

/** The title of a reachable-graph diagram, as short lines. */
export function reachableTitle(g: ReachableGraph): string {
  const scope = g.whole ? 'every reachable state' : `states within ${plural(g.depth, 'call')} of the start`;
  const lines = [
    `${g.design} at ${plural(g.devices, 'device')}: ${scope}`,
    `(${plural(g.nodes.length, 'state')}; ${plural(g.edges.length, 'call')} one step deeper drawn, ${g.omittedEdges} back or sideways not)`,
  ];
  const h = g.highlighted;
  if (h?.verdict === 'violated') lines.push(`shortest ${h.name} counterexample (${plural(h.pathLength ?? 0, 'call')}) highlighted:`, `${h.explanation}`);
  else if (h) lines.push(`${h.name} ${h.verdict === 'n/a' ? 'does not apply' : h.verdict === 'holds' ? 'holds' : 'is undecided'}: no counterexample`);
  return lines.join('\n');
}

function nodeAttrs(design: Design, g: ReachableGraph, n: ReachableNode, last: boolean): string {
  const lines = stateLines(design.schema(g.devices), n.context);
  const tooltip = [`s${n.id} ${n.state}`, ...lines, ...(n.broken.length ? [`breaks: ${n.broken.join(', ')}`] : [])].join('\n');
  const attrs = [`tooltip=${dotString(tooltip)}`];
  // Full labels only where the reader needs them: the path and the states that break an invariant.
  if (n.onPath || n.broken.length > 0) {
    const head = `s${n.id} ${n.state}${n.broken.length ? `  ✗ ${n.broken.join(', ')}` : ''}`;
    attrs.push(`label=${dotString([head, ...lines].join('\n'))}`, 'shape=box', 'style="rounded,filled"', 'fontsize=10');
  } else {
    attrs.push(`label=${dotString(`s${n.id}`)}`, 'shape=circle', 'style=filled', 'fontsize=8', 'width=0.3', 'fixedsize=false');
  }
  attrs.push(`fillcolor=${dotString(n.broken.length ? BROKEN_FILL : n.onPath ? '#e3ecfa' : '#f4f4f4')}`);
  if (n.onPath) attrs.push(`color=${dotString(last ? WARN_COLOR : PATH_COLOR)}`, `penwidth=${last ? 3 : 2}`);
  else if (n.broken.length) attrs.push(`color=${dotString(WARN_COLOR)}`);
  return attrs.join(', ');
}

/**
 * The reachable graph in DOT, laid out left to right by depth. Every state is a node (a small circle, or a box with its fields
 * when it is on the highlighted path or breaks an invariant, filled red then); every call that
 * leads one call deeper an edge, red when a WARN_ON fires; the counterexample's calls numbered and
 * drawn thick in blue. Hovering a node in the SVG shows its fields.
 */
export function reachableDot(design: Design, g: ReachableGraph): string {
  const out = [
    `digraph ${dotString(`${g.design} reachable states`)} {`,
    `  label=${dotString(reachableTitle(g))}; labelloc=t; fontname="Helvetica"; fontsize=12;`,
    '  rankdir=LR; nodesep=0.15; ranksep=0.6;',
    '  node [fontname="Courier"];',
    '  edge [fontname="Courier", fontsize=9, arrowsize=0.5, color="#9a9a9a"];',
  ];
  for (const n of g.nodes) out.push(`  s${n.id} [${nodeAttrs(design, g, n, n.id === g.pathEnd)}];`);
  // One column per depth, so that a path step back to an earlier state does not drag it right.
  const byDepth = new Map<number, number[]>();
  for (const n of g.nodes) byDepth.set(n.depth, [...(byDepth.get(n.depth) ?? []), n.id]);
  for (const ids of byDepth.values()) out.push(`  { rank=same; ${ids.map((i) => `s${i};`).join(' ')} }`);
  const depthOf = (id: number) => g.nodes[id].depth;
  for (const e of g.edges) {
    const call = formatEvent(e.event);
    const outcome = `${call} → ${errnoName(e.ret)}${e.warn ? ' WARN' : ''}${e.guard ? ` [${e.guard}]` : ''}`;
    const attrs = [`tooltip=${dotString(outcome)}`];
    if (e.pathStep >= 0) {
      if (depthOf(e.dst) !== depthOf(e.src) + 1) attrs.push('constraint=false');
      attrs.push(`label=${dotString(`${e.pathStep}: ${call}${e.ret !== 0 ? ` → ${errnoName(e.ret)}` : ''}${e.warn ? ' WARN' : ''}`)}`, `color=${dotString(e.warn ? WARN_COLOR : PATH_COLOR)}`, `fontcolor=${dotString(e.warn ? WARN_COLOR : PATH_COLOR)}`, 'penwidth=2.5', 'arrowsize=0.9', 'weight=10');
    } else if (e.warn) {
      attrs.push(`color=${dotString(WARN_COLOR)}`);
    }
    out.push(`  s${e.src} -> s${e.dst} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}

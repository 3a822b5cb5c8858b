import { changingEdges, dotHtml, dotString, selfLoopLabels, transitionLine, type SelfLoops } from './labels';
import type { Statechart, StatechartState } from './statechart';
import { plural } from '../report/plural';

/** Colour of a WARN_ON. */
export const WARN_COLOR = '#c0392b';

/** A state's node: its name, then (if any) the calls that leave it unchanged, as an HTML-like label. */
function stateNode(sc: Statechart, s: StatechartState, selfLoops: SelfLoops): string {
  const title = s.reached ? `<B>${dotHtml(s.name)}</B>` : `<B>${dotHtml(s.name)}</B><BR/><FONT POINT-SIZE="10">(not reached at ${plural(sc.devices, 'device')})</FONT>`;
  const loops = selfLoopLabels(sc, s.name, selfLoops);
  const rows = [`<TR><TD WIDTH="150">${title}</TD></TR>`]; // a minimum width: bold names run wider than Graphviz estimates
  if (loops.length > 0) {
    const head = selfLoops === 'errors' ? 'unchanged by (failing or warning):' : 'unchanged by:';
    const lines = loops.map((l) => {
      const t = dotHtml(transitionLine(l));
      return l.warn ? `<FONT COLOR="${WARN_COLOR}">${t}</FONT>` : t;
    });
    rows.push('<HR/>', `<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="10" FACE="Courier"><I>${head}</I><BR ALIGN="LEFT"/>${lines.join('<BR ALIGN="LEFT"/>')}<BR ALIGN="LEFT"/></FONT></TD></TR>`);
  }
  const style = s.reached ? 'ROUNDED' : 'ROUNDED,DASHED';
  return `  ${dotString(s.name)} [tooltip=${dotString(s.description)}, label=<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="6" STYLE="${style}">${rows.join('')}</TABLE>>];`;
}

/**
 * The statechart in Graphviz DOT: the four states (a state not reached at the bound dashed), one
 * edge per pair of states labelled one line per guarded alternative, an edge on which a WARN_ON
 * fires drawn red; calls that leave a state unchanged are listed inside it.
 */
export function statechartDot(sc: Statechart, selfLoops: SelfLoops = 'none'): string {
  const out = [
    `digraph ${dotString(`${sc.design} group statechart`)} {`,
    '  rankdir=TB;',
    '  nodesep=0.5; ranksep=1.0;',
    '  node [shape=plain, fontname="Helvetica", fontsize=14];',
    '  edge [fontname="Courier", fontsize=11];',
    '  start [shape=point, width=0.15, label=""];',
  ];
  for (const s of sc.states) out.push(stateNode(sc, s, selfLoops));
  out.push(`  start -> ${dotString(sc.initial)};`);
  for (const e of changingEdges(sc)) {
    // One line per alternative, left-aligned; a line whose WARN_ON fires is red, and so is the edge.
    const lines = e.labels.map((l) => (l.warn ? `<FONT COLOR="${WARN_COLOR}">${dotHtml(transitionLine(l))}</FONT>` : dotHtml(transitionLine(l))));
    const attrs = [`label=<${lines.join('<BR ALIGN="LEFT"/>')}<BR ALIGN="LEFT"/>>`];
    if (e.labels.some((l) => l.warn)) attrs.push(`color=${dotString(WARN_COLOR)}`);
    out.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}

import { errnoName } from '../model/vocabulary';
import type { Statechart, StatechartEdge, TransitionLabel } from './statechart';

/**
 * Which calls that leave the group state unchanged (self-loops) a statechart lists: none, those
 * that fail or warn (`errors`: a negative return code or a WARN_ON), or all of them. They are
 * listed inside (DOT) or beside (Mermaid) their state rather than drawn as loops, whose labels
 * would pile up on the other edges.
 */
export type SelfLoops = 'none' | 'errors' | 'all';
export const SELF_LOOP_CHOICES: readonly SelfLoops[] = ['none', 'errors', 'all'];

/** A label that failed (negative return code) or warned. */
export const isErrorLabel = (l: TransitionLabel): boolean => l.warn || l.rets.some((r) => r < 0);

/** `claim [claim:owner_cnt] → -EPERM`, `unbind_driver [unuse:WARN_ON(!owner_cnt)] WARN`, `bind_driver [else]`. */
export function transitionLine(l: TransitionLabel): string {
  let s = `${l.event} [${l.guard === '' ? 'else' : l.guard}]`;
  if (l.rets.some((r) => r !== 0)) s += ` → ${l.rets.map(errnoName).join('/')}`;
  if (l.warn) s += ' WARN';
  return s;
}

/** The edges between two different states. */
export const changingEdges = (sc: Statechart): StatechartEdge[] => sc.edges.filter((e) => e.from !== e.to);

/** The self-loop labels of `state` to list under a policy. */
export function selfLoopLabels(sc: Statechart, state: string, selfLoops: SelfLoops): readonly TransitionLabel[] {
  if (selfLoops === 'none') return [];
  const loop = sc.edges.find((e) => e.from === state && e.to === state);
  if (!loop) return [];
  return selfLoops === 'all' ? loop.labels : loop.labels.filter(isErrorLabel);
}

/**
 * A Mermaid node id for a state name (`dma-api` -> `dma_api`). Not guarded against collisions or
 * Mermaid keywords: state names are the fixed GROUP_STATES, whose ids are distinct and not
 * keywords (test/diagram-statechart.test.ts); a new group state must keep that.
 */
export const mermaidId = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * Text made safe for a Mermaid label: characters the parser reads as syntax become entity codes
 * (`#58;` for a colon, `#59;` for a semicolon, `#37;` for the `%` of a `%%` comment, `#96;` for
 * a backtick, `#36;` for the `$` of `$$` maths, ...).
 */
export function mermaidText(s: string): string {
  return s.replace(/[#:;<>"%`$]/g, (c) => `#${c.charCodeAt(0)};`);
}

/** A string as a double-quoted DOT string. */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Lines as a DOT label, each line left-justified (`\l`). */
export function dotLines(lines: readonly string[]): string {
  return `"${lines.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '\\l').join('')}"`;
}

/** Text escaped for a Graphviz HTML-like label. */
export function dotHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

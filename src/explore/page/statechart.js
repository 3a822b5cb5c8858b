// Draws the group statechart as SVG: the design's finite states as boxes on a square, one arrow
// per direction between two states, labelled with the calls observed to take it. The current
// state and the arrow the last call took are highlighted. No library: plain DOM.

const SVG = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 400;
const BOX_W = 150;
const BOX_H = 44;
/** Box centres: a diamond (top, left, bottom, right), then the corners for any further state. */
const SLOTS = [[320, 40], [95, 200], [320, 360], [545, 200], [95, 40], [545, 40], [95, 360], [545, 360]];
/**
 * The order states are placed in: `unowned` on top, the two kernel-side states and the user
 * state around it, so the usual arrows (everything leaves and returns to `unowned`) do not cross.
 */
const PREFERRED = ['unowned', 'dma-api', 'private-domain', 'user-owned'];
const CHAR_W = 6.9; // width of one character of an edge label (11.5px monospace)
const LINE_H = 13;

/** Overlap area of two boxes {x, y, w, h}. */
function overlap(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Where to put an edge's label: beside the arrow on its own side, at the first of a few points
 * along it where the label overlaps no box and no label already placed (else where it overlaps
 * least). Returns the text's anchor point, anchor, and top line's baseline.
 */
function placeLabel(sx, sy, tx, ty, nx, ny, lines, taken) {
  const w = Math.max(...lines.map((l) => l.length)) * CHAR_W;
  const hgt = lines.length * LINE_H;
  const anchor = Math.abs(nx) < 0.35 ? 'middle' : nx > 0 ? 'start' : 'end';
  let best = null;
  for (const t of [0.5, 0.36, 0.64, 0.24, 0.76]) {
    const lx = sx + (tx - sx) * t + nx * 8;
    const ly = sy + (ty - sy) * t + ny * 8;
    const x = anchor === 'start' ? lx : anchor === 'end' ? lx - w : lx - w / 2;
    const y = ny < -0.35 ? ly - hgt : ny > 0.35 ? ly : ly - hgt / 2;
    const box = { x: x - 2, y: y - 1, w: w + 4, h: hgt + 2 };
    const score = taken.reduce((acc, b) => acc + overlap(box, b), 0) + (box.x < 0 || box.x + box.w > W ? 1e4 : 0);
    if (!best || score < best.score) best = { score, lx, baseline: y + LINE_H - 3, anchor, box };
    if (score === 0) break;
  }
  taken.push(best.box);
  return best;
}

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Where the segment from the centre of a box towards (tx, ty) leaves the box. */
function boxExit(cx, cy, tx, ty, pad) {
  const dx = tx - cx;
  const dy = ty - cy;
  const sx = dx === 0 ? Infinity : (BOX_W / 2 + pad) / Math.abs(dx);
  const sy = dy === 0 ? Infinity : (BOX_H / 2 + pad) / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [cx + dx * s, cy + dy * s];
}

/**
 * Renders `chart` ({states, edges}) into `container`. `current` names the state to highlight;
 * `lastMove` is {from, to} of the last call's transition, or null.
 */
export function renderStatechart(container, chart, current, lastMove) {
  container.textContent = '';
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'statechart of the group states' });
  const defs = el('defs', {});
  for (const [id, cls] of [['arrow', 'arrowhead'], ['arrow-hot', 'arrowhead hot']]) {
    const m = el('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    m.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
    defs.appendChild(m);
  }
  svg.appendChild(defs);

  const names = chart.states.map((s) => s.name);
  const ordered = [...PREFERRED.filter((n) => names.includes(n)), ...names.filter((n) => !PREFERRED.includes(n))];
  const pos = new Map(ordered.map((n, i) => [n, SLOTS[i % SLOTS.length]]));

  const edgeLayer = el('g', { class: 'edges' });
  const labelLayer = el('g', { class: 'edge-labels' });
  const taken = [...pos.values()].map(([cx, cy]) => ({ x: cx - BOX_W / 2, y: cy - BOX_H / 2, w: BOX_W, h: BOX_H }));
  for (const e of chart.edges) {
    const [ax, ay] = pos.get(e.from);
    const [bx, by] = pos.get(e.to);
    const len = Math.hypot(bx - ax, by - ay);
    // Offset each direction to its own side so that A->B and B->A are two parallel arrows.
    const nx = -(by - ay) / len;
    const ny = (bx - ax) / len;
    const off = 8;
    const [sx, sy] = boxExit(ax + nx * off, ay + ny * off, bx + nx * off, by + ny * off, 2);
    const [tx, ty] = boxExit(bx + nx * off, by + ny * off, ax + nx * off, ay + ny * off, 4);
    const hot = lastMove && lastMove.from === e.from && lastMove.to === e.to;
    const line = el('line', { x1: sx, y1: sy, x2: tx, y2: ty, class: hot ? 'edge hot' : 'edge', 'marker-end': `url(#${hot ? 'arrow-hot' : 'arrow'})`, 'data-edge': `${e.from}>${e.to}` });
    line.appendChild(el('title', {}, `${e.from} → ${e.to}: ${e.events.join(', ')}`));
    edgeLayer.appendChild(line);

    const p = placeLabel(sx, sy, tx, ty, nx, ny, e.events, taken);
    const text = el('text', { x: p.lx, y: p.baseline, 'text-anchor': p.anchor, class: hot ? 'edge-label hot' : 'edge-label' });
    e.events.forEach((ev, i) => text.appendChild(el('tspan', { x: p.lx, y: p.baseline + i * LINE_H }, ev)));
    labelLayer.appendChild(text);
  }
  svg.appendChild(edgeLayer);

  for (const s of chart.states) {
    const [cx, cy] = pos.get(s.name);
    const g = el('g', { class: s.name === current ? 'node current' : 'node', 'data-state': s.name });
    g.appendChild(el('title', {}, s.description ? `${s.name}: ${s.description}` : s.name));
    g.appendChild(el('rect', { x: cx - BOX_W / 2, y: cy - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 10 }));
    g.appendChild(el('text', { x: cx, y: cy + 5, 'text-anchor': 'middle' }, s.name));
    svg.appendChild(g);
  }
  svg.appendChild(labelLayer);
  container.appendChild(svg);
}

import type { Viz } from '@viz-js/viz';

let viz: Promise<Viz> | null = null;

/**
 * Renders DOT to SVG in-process with Graphviz compiled to WebAssembly (@viz-js/viz); no system
 * binary is run. The package is loaded on the first call, not when the CLI starts (only
 * diagrams and the explorer draw), and its WASM instance is created once and reused.
 */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  const v = await viz;
  const r = v.render(dot, { format: 'svg' });
  if (r.status !== 'success') throw new Error(`graphviz: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.output;
}

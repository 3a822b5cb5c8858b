import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | null = null;

/**
 * Renders DOT to SVG in-process with Graphviz compiled to WebAssembly (@viz-js/viz); no system
 * binary is run. The WASM instance is created once and reused.
 */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const v = await viz;
  const r = v.render(dot, { format: 'svg' });
  if (r.status !== 'success') throw new Error(`graphviz: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.output;
}

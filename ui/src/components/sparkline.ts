import { svg } from '../dom';

/**
 * A repository's recent sizes as a small line, drawn as SVG: a table row needs a few
 * dozen values and no axes, and one uPlot instance per row would cost far more.
 */
export function sparkline(values: number[], label: string): SVGElement {
  const width = 96;
  const height = 24;
  const pad = 2;
  const el = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'sparkline' });
  el.append(svg('title', {}, document.createTextNode(label)));
  if (values.length === 0) return el;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const x = (i: number) => (values.length === 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (values.length - 1));
  const y = (v: number) => (max === min ? height / 2 : height - pad - ((v - min) * (height - 2 * pad)) / (max - min));
  const d = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
  el.append(svg('path', { d, fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5 }));
  el.append(svg('circle', { cx: x(values.length - 1).toFixed(1), cy: y(values.at(-1)!).toFixed(1), r: 2, fill: 'currentColor' }));
  return el;
}

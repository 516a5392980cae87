/**
 * Every chart of the dashboard is uPlot (https://github.com/leeoniya/uPlot), chosen for
 * what these charts are: time series with many points (a busy repository has tens of
 * thousands of pushes; uPlot draws 10,000 points on a canvas in a few milliseconds where
 * SVG-based libraries build a DOM node per point), real time axes (pushes are irregular in
 * time, not categories), and stacked areas (Dockerfile steps) built from cumulative sums
 * with bands between neighbouring series. It is about 50 KB minified with no
 * dependencies, so the whole dashboard stays one small inlined page; ECharts or Plotly
 * would be ten to twenty times that, Observable Plot renders SVG (slow at 10,000 points).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom';
import { AXIS_TEXT, FONT, GRID } from './theme';
import { timeRange, timeTicks } from './timeTicks';

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  /** Markers only, no line (alert points). */
  markers?: boolean;
  dash?: number[];
  fill?: string;
  /** Left out of the legend (a helper series such as the included-storage line, labelled in the tooltip). */
  hideInLegend?: boolean;
}

export interface ChartSpec {
  /** Names the chart for assistive technology, and `data-chart` for tests. */
  name: string;
  label: string;
  /** Seconds since the epoch, ascending. */
  x: number[];
  series: ChartSeries[];
  bands?: uPlot.Band[];
  yFormat: (v: number) => string;
  /** What the tooltip shows for the x index under the cursor (or chosen with the arrow keys). */
  tooltip: (idx: number) => Node | null;
  height?: number;
  /** How many data points the chart draws, exposed as `data-points` (the line series' values, not markers). */
  pointCount: number;
}

const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

/**
 * A uPlot time chart inside a focusable wrapper: hover or the arrow keys choose a point
 * and show its tooltip; Home/End jump to the first/last; Escape hides the tooltip.
 * The chart is made once the wrapper has a width and follows its size afterwards.
 * Sets `data-drawn` (and `data-drawn-ms`, ms since navigation) after the first draw.
 */
export function timeChart(spec: ChartSpec): HTMLElement {
  const tooltip = h('div', { class: 'chart-tooltip', role: 'status', 'aria-live': 'polite' });
  tooltip.hidden = true;
  const canvasHost = h('div', { class: 'chart-canvas' });
  const wrapper = h(
    'div',
    {
      class: 'chart',
      tabindex: 0,
      role: 'group',
      'aria-label': `${spec.label}. Use the left and right arrow keys to move between points.`,
      'data-chart': spec.name,
      'data-points': spec.pointCount,
    },
    canvasHost,
    tooltip,
  );
  const legend = h(
    'ul',
    { class: 'chart-legend' },
    spec.series
      .filter((s) => !s.hideInLegend)
      .map((s) => {
        const swatch = h('span', { class: `swatch${s.markers ? ' marker' : ''}${s.dash ? ' dashed' : ''}`, 'aria-hidden': 'true' });
        swatch.style.setProperty('--swatch', s.color);
        return h('li', {}, swatch, s.label);
      }),
  );
  const figure = h('figure', { class: 'chart-figure' }, wrapper, legend);

  let plot: uPlot | undefined;
  let idx: number | null = null;

  const showTooltip = (i: number | null) => {
    const same = i === idx && !tooltip.hidden;
    idx = i;
    if (!same) {
      const content = i === null ? null : spec.tooltip(i);
      if (!content || !plot) {
        tooltip.hidden = true;
        return;
      }
      tooltip.replaceChildren(content);
      tooltip.hidden = false;
    }
    if (i === null || !plot) return;
    const left = plot.valToPos(spec.x[i]!, 'x');
    const plotLeft = plot.over.offsetLeft;
    const room = wrapper.clientWidth;
    const x = plotLeft + left;
    tooltip.style.left = `${Math.max(0, Math.min(x + 12, room - tooltip.offsetWidth - 4))}px`;
    tooltip.style.top = `${plot.over.offsetTop + 8}px`;
  };

  const make = (width: number) => {
    const opts: uPlot.Options = {
      width,
      height: spec.height ?? 280,
      tzDate: utc,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 9 } },
      scales: { x: { time: true, range: (_u, min, max) => timeRange(spec.x, min, max) } },
      series: [
        {},
        ...spec.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.markers ? 0 : 2,
          spanGaps: true,
          ...(s.fill ? { fill: s.fill } : {}),
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.markers ? { paths: () => null, points: { show: true, size: 11, width: 2, stroke: s.color, fill: '#ffffff' } } : {}),
        })),
      ],
      bands: spec.bands ?? [],
      axes: [
        {
          stroke: AXIS_TEXT,
          font: FONT,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID },
          values: (_u, splits, _ax, _space, incr) => timeTicks(splits, incr),
        },
        {
          stroke: AXIS_TEXT,
          font: FONT,
          size: 64,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID },
          values: (_u, vals) => vals.map((v) => spec.yFormat(v)),
        },
      ],
      hooks: {
        setCursor: [(u) => showTooltip(u.cursor.idx ?? null)],
        draw: [
          () => {
            if (wrapper.dataset.drawn) return;
            wrapper.dataset.drawn = 'true';
            wrapper.dataset.drawnMs = String(Math.round(performance.now()));
          },
        ],
      },
    };
    plot = new uPlot(opts, [spec.x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData, canvasHost);
  };

  new ResizeObserver(() => {
    const width = wrapper.clientWidth;
    if (width <= 0) return;
    if (!plot) make(width);
    else if (Math.abs(plot.width - width) > 1) plot.setSize({ width, height: spec.height ?? 280 });
  }).observe(wrapper);

  const hasValue = (i: number) => spec.series.some((s) => !s.markers && s.values[i] !== null && s.values[i] !== undefined);
  const step = (from: number, dir: 1 | -1) => {
    for (let i = from + dir; i >= 0 && i < spec.x.length; i += dir) if (hasValue(i)) return i;
    return from;
  };
  const moveTo = (i: number) => {
    if (!plot) return;
    const s = spec.series.findIndex((ser) => !ser.markers && ser.values[i] != null);
    const y = s >= 0 ? spec.series[s]!.values[i]! : 0;
    plot.setCursor({ left: plot.valToPos(spec.x[i]!, 'x'), top: plot.valToPos(y, 'y') });
  };
  wrapper.addEventListener('keydown', (e) => {
    if (spec.x.length === 0) return;
    const last = step(spec.x.length, -1);
    const first = step(-1, 1);
    const keys: Record<string, () => number> = {
      ArrowRight: () => (idx === null ? first : step(idx, 1)),
      ArrowLeft: () => (idx === null ? last : step(idx, -1)),
      Home: () => first,
      End: () => last,
    };
    if (e.key === 'Escape') {
      plot?.setCursor({ left: -10, top: -10 });
      showTooltip(null);
      return;
    }
    const next = keys[e.key];
    if (!next) return;
    e.preventDefault();
    moveTo(next());
  });
  wrapper.addEventListener('focus', () => {
    if (idx === null && spec.x.length > 0) moveTo(step(spec.x.length, -1));
  });
  return figure;
}

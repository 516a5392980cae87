import { ApiError, getJson, getTrend, limiter } from '../api/client';
import { apiDigest } from '../api/images';
import type { AlertRecord, AlertsAnswer, CompareAnswer, ImageAnswer, TrendPointView } from '../api/types';
import { sizeSeries } from '../charts/sizeSeries';
import { stacked } from '../charts/stack';
import { MAX_STEP_BANDS, OTHER_STEPS, stepSeries } from '../charts/stepSeries';
import { ALERT_COLOR, OTHER_COLOR, SERIES_COLORS, fillOf } from '../charts/theme';
import { timeChart } from '../charts/timeChart';
import { kindBadge } from '../components/alertList';
import { emptyState, errorState, loading } from '../components/states';
import { dataTable } from '../components/table';
import { debounce, h } from '../dom';
import { formatBytes, formatDeltaBytes, formatStep, formatTime, shortDigest } from '../format';
import { part, tiles } from '../layout';
import { href } from '../route';

type RepositoryRoute = { registry: string; repository: string; tag?: string; platform?: string };

/** Images whose layers the steps chart reads: the newest pushes of one platform, one image request each. */
const STEP_CHART_POINTS = 50;

export async function repositoryPage(main: HTMLElement, route: RepositoryRoute): Promise<void> {
  const { registry, repository } = route;
  const status = h('div', {}, loading(`the trend of ${repository}`));
  main.append(status);
  // Asked at once beside the trend: the markers are drawn with the first chart.
  const alertsRead = getJson<AlertsAnswer>('alerts', { registry, repository, limit: 1000 }).then(
    (a) => a.alerts,
    () => [] as AlertRecord[],
  );
  let points: TrendPointView[];
  try {
    points = await getTrend({ registry, repository });
  } catch (e) {
    status.remove();
    if (e instanceof ApiError && e.status === 404) {
      main.append(
        h(
          'div',
          { 'data-state': 'unknown-repository' },
          emptyState(
            `${repository} is not tracked in ${registry}`,
            h('p', {}, e.message, '.'),
            h(
              'p',
              {},
              'No push of it has reached the service. Check the name, or ',
              h('a', { href: href({ view: 'registry', registry }) }, 'see the tracked repositories'),
              '.',
            ),
          ),
        ),
      );
      return;
    }
    main.append(errorState(`the trend of ${repository}`, e));
    return;
  }
  status.remove();
  const alerts = await alertsRead;

  const filters = h('div', { class: 'filters' });
  const summary = h('div', {});
  const chartSlot = part(main, 'Size over time', {
    lead: 'Compressed size of each push (config + layers, as pulled), per platform. Red rings: an alert fired.',
  });
  const stepsSlot = part(main, 'Dockerfile steps over time', {
    lead: `Bytes per step of the last ${STEP_CHART_POINTS} pushes of one platform, stacked in Dockerfile order.`,
  });
  const tableSlot = part(main, 'Points');
  main.insertBefore(summary, chartSlot.parentElement);
  main.insertBefore(filters, summary);

  const tags = [...new Set(points.map((p) => p.tag))].reverse();
  // Baselines name platform manifests; the APIs take a multi-platform push by its index.
  const byDigest = new Map(points.map((p) => [p.digest, apiDigest(p)]));
  const indexOf = (digest: string) => byDigest.get(digest) ?? digest;
  const platforms = [...new Set(points.map((p) => p.platform))].sort();
  const state = { tag: route.tag ?? '', platform: route.platform ?? '' };

  let drawing = 0;
  const draw = () => {
    const shown = points.filter((p) => (!state.tag || p.tag === state.tag) && (!state.platform || p.platform === state.platform));
    const url = new URL(location.href);
    for (const k of ['tag', 'platform'] as const) {
      if (state[k]) url.searchParams.set(k, state[k]);
      else url.searchParams.delete(k);
    }
    history.replaceState(null, '', url);
    summary.replaceChildren(summaryTiles(shown));
    if (shown.length === 0) {
      chartSlot.replaceChildren(
        emptyState('No points match', state.tag ? `No push tagged ${state.tag}${state.platform ? ` for ${state.platform}` : ''}.` : 'Change the filters.'),
      );
      stepsSlot.replaceChildren();
      tableSlot.replaceChildren();
      return;
    }
    chartSlot.replaceChildren(sizeChart(registry, repository, shown, alerts, indexOf));
    // The rest once the chart has had its frame: a table of 10,000 points must not hold up the chart.
    const drawn = ++drawing;
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (drawn !== drawing) return;
        void stepsChart(stepsSlot, registry, repository, shown, state.platform);
        tableSlot.replaceChildren(pointTable(registry, repository, shown, alerts, indexOf));
      }),
    );
  };

  const tagInput = h('input', { id: 'tag-filter', list: 'tag-options', value: state.tag, placeholder: 'all tags', autocomplete: 'off' });
  const tagList = h(
    'datalist',
    { id: 'tag-options' },
    tags.slice(0, 500).map((t) => h('option', { value: t })),
  );
  const onTag = debounce(() => {
    const t = tagInput.value.trim();
    if (t === '' || tags.includes(t)) {
      state.tag = t;
      draw();
    }
  }, 250);
  tagInput.addEventListener('input', onTag);
  const platformSelect = h(
    'select',
    { id: 'platform-filter' },
    h('option', { value: '' }, 'all platforms'),
    platforms.map((p) => h('option', { value: p, selected: p === state.platform }, p)),
  );
  platformSelect.addEventListener('change', () => {
    state.platform = platformSelect.value;
    draw();
  });
  filters.append(
    h('div', { class: 'field' }, h('label', { for: 'tag-filter' }, 'Tag'), tagInput, tagList),
    h('div', { class: 'field' }, h('label', { for: 'platform-filter' }, 'Platform'), platformSelect),
    h('p', { class: 'field-links' }, h('a', { href: href({ view: 'alerts', registry, repository }) }, `Alerts of ${repository}`)),
  );
  draw();
}

function summaryTiles(points: TrendPointView[]): HTMLElement {
  const latest = points.at(-1);
  // Against the first point of the same platform: an arm64 image is not a smaller amd64 one.
  const first = points.find((p) => p.platform === latest?.platform);
  return tiles([
    { label: 'Latest', value: latest ? formatBytes(latest.sizeBytes) : '—', note: latest ? `${latest.tag} · ${latest.platform}` : undefined },
    {
      label: 'Change since first point',
      value: latest && first ? formatDeltaBytes(latest.sizeBytes - first.sizeBytes) : '—',
      note: first ? `from ${formatBytes(first.sizeBytes)} (${first.tag})` : undefined,
    },
    { label: 'Points', value: String(points.length), note: first ? `since ${formatTime(first.pushedAt)}` : undefined },
  ]);
}

/** The Dockerfile step that grew most from a point's baseline to it, read from the compare API the first time it is asked for. */
const grewMost = new Map<string, Promise<string>>();
function stepThatGrewMost(registry: string, repository: string, p: TrendPointView, indexOf: (d: string) => string): Promise<string> {
  if (!p.baselineDigest) return Promise.resolve('first push: every step is new');
  const key = `${p.baselineDigest}>${p.digest}`;
  let found = grewMost.get(key);
  if (!found) {
    found = getJson<CompareAnswer>('compare', { registry, repository, from: indexOf(p.baselineDigest), to: apiDigest(p), platform: p.platform, top: 1 }).then(
      (c) => {
        const top = [...c.steps].sort((a, b) => b.deltaBytes - a.deltaBytes)[0];
        return top && top.deltaBytes > 0 ? `grew most: ${formatStep(top.step)} ${formatDeltaBytes(top.deltaBytes)}` : 'no step grew';
      },
    );
    found.catch(() => grewMost.delete(key));
    grewMost.set(key, found);
  }
  return found;
}

function sizeChart(registry: string, repository: string, points: TrendPointView[], alerts: AlertRecord[], indexOf: (d: string) => string): HTMLElement {
  const s = sizeSeries(points, alerts);
  // Asked for once the cursor rests on a point, not for every point it passes over.
  const fetchSteps = debounce((slots: [TrendPointView, HTMLElement][]) => {
    for (const [p, slot] of slots)
      stepThatGrewMost(registry, repository, p, indexOf).then(
        (text) => (slot.textContent = text),
        (e: unknown) => (slot.textContent = `steps unknown: ${(e as Error).message}`),
      );
  }, 120);
  return timeChart({
    name: 'size',
    label: `Size of ${repository} over time, ${s.pointCount} points on ${s.platforms.length} platform${s.platforms.length === 1 ? '' : 's'}`,
    x: s.x,
    series: [
      ...s.platforms.map((p, i) => ({ label: p, color: SERIES_COLORS[i % SERIES_COLORS.length]!, values: s.values[i]! })),
      ...s.alerts.flatMap((values, i) =>
        values.some((v) => v !== null)
          ? [{ label: 'Alert fired', color: ALERT_COLOR, values, markers: true, hideInLegend: s.alerts.slice(0, i).some((v) => v.some((x) => x !== null)) }]
          : [],
      ),
    ],
    yFormat: formatBytes,
    pointCount: s.pointCount,
    tooltip: (i) => {
      const at = s.pointsAt[i];
      if (!at?.length) return null;
      const slots: [TrendPointView, HTMLElement][] = [];
      fetchSteps(slots);
      return h(
        'div',
        { class: 'tooltip-points' },
        at.map((p) => {
          const step = h('div', { class: 'muted', 'data-tooltip': 'step' }, '…');
          slots.push([p, step]);
          const fired = s.alertsAt[i]!.filter((a) => a.digest === p.digest && a.tag === p.tag);
          return h(
            'div',
            { class: 'tooltip-point' },
            h(
              'div',
              {},
              h('strong', { 'data-tooltip': 'tag' }, p.tag),
              ' ',
              h('span', { class: 'muted' }, p.platform),
              fired.length ? [' ', kindBadge(fired[0]!.kind)] : null,
            ),
            h(
              'div',
              { 'data-tooltip': 'size' },
              formatBytes(p.sizeBytes),
              p.sizeDeltaBytes !== null ? ` (${formatDeltaBytes(p.sizeDeltaBytes)} vs ${p.baselineTag ?? 'previous'})` : ' (first push)',
            ),
            h('div', { class: 'muted' }, h('code', {}, shortDigest(p.digest)), ' · ', formatTime(p.pushedAt), p.deletedAt ? ' · deleted' : ''),
            step,
          );
        }),
      );
    },
  });
}

const imageQueue = limiter(4);

async function stepsChart(slot: HTMLElement, registry: string, repository: string, points: TrendPointView[], platform: string): Promise<void> {
  const chosen = platform || points.at(-1)!.platform;
  const recent = points.filter((p) => p.platform === chosen).slice(-STEP_CHART_POINTS);
  slot.replaceChildren(loading('the layers of each image'));
  try {
    const wanted = [...new Map(recent.map((p) => [p.digest, apiDigest(p)]))];
    const images = new Map(
      await Promise.all(
        wanted.map(([d, stored]) =>
          imageQueue(() => getJson<ImageAnswer>('image', { registry, repository, digest: stored })).then((img) => {
            const found = img.platforms.find((x) => x.digest === d);
            return [d, found && 'layers' in found ? found.layers : []] as const;
          }),
        ),
      ),
    );
    if (!slot.isConnected) return;
    const s = stepSeries(recent.map((p) => images.get(p.digest) ?? []));
    if (recent.length < 2 || s.steps.length === 0) {
      slot.replaceChildren(emptyState('Not enough pushes yet', `Steps are drawn once ${chosen} has two points.`));
      return;
    }
    const { values, bands } = stacked(s.values);
    const x = recent.map((p, i) => Date.parse(p.pushedAt) / 1000 + i * 0.001);
    const color = (i: number, step: string) => (step === OTHER_STEPS ? OTHER_COLOR : SERIES_COLORS[i % MAX_STEP_BANDS]!);
    slot.replaceChildren(
      h('p', { class: 'muted' }, `Platform ${chosen}.`),
      timeChart({
        name: 'steps',
        label: `Bytes per Dockerfile step of ${repository} on ${chosen}, stacked`,
        x,
        series: s.steps.map((step, i) => ({ label: step, color: color(i, step), values: values[i]!, fill: fillOf(color(i, step)) })),
        bands,
        yFormat: formatBytes,
        pointCount: recent.length,
        tooltip: (i) =>
          h(
            'div',
            {},
            h('strong', {}, recent[i]!.tag),
            h('ul', { class: 'tooltip-steps' }, s.steps.map((step, j) => h('li', {}, h('code', {}, step), ` ${formatBytes(s.values[j]![i]!)}`)).reverse()),
          ),
      }),
    );
  } catch (e) {
    slot.replaceChildren(errorState('the layers of each image', e));
  }
}

function pointTable(registry: string, repository: string, points: TrendPointView[], alerts: AlertRecord[], indexOf: (d: string) => string): HTMLElement {
  const fired = new Set(alerts.map((a) => `${a.digest}\n${a.tag}\n${a.platform}`));
  return dataTable<TrendPointView>({
    caption: 'Points',
    rows: [...points].reverse(),
    pageSize: 100,
    filterText: (p) => `${p.tag} ${p.platform} ${p.digest}`,
    columns: [
      { label: 'Pushed', sort: (p) => p.pushedAt, cell: (p) => h('time', { datetime: p.pushedAt, class: 'nowrap' }, formatTime(p.pushedAt)) },
      {
        label: 'Tag',
        sort: (p) => p.tag,
        cell: (p) => h('a', { href: href({ view: 'image', registry, repository, digest: apiDigest(p), platform: p.platform }) }, p.tag),
      },
      { label: 'Platform', wide: true, sort: (p) => p.platform, cell: (p) => p.platform },
      { label: 'Digest', wide: true, cell: (p) => h('code', {}, shortDigest(p.digest)) },
      { label: 'Size', numeric: true, sort: (p) => p.sizeBytes, cell: (p) => formatBytes(p.sizeBytes) },
      {
        label: 'Change',
        numeric: true,
        sort: (p) => p.sizeDeltaBytes ?? undefined,
        cell: (p) =>
          p.sizeDeltaBytes === null
            ? h('span', { class: 'muted' }, 'first')
            : h('span', { class: p.sizeDeltaBytes > 0 ? 'grew' : p.sizeDeltaBytes < 0 ? 'shrank' : '' }, formatDeltaBytes(p.sizeDeltaBytes)),
      },
      {
        label: 'Alert',
        wide: true,
        cell: (p) => (fired.has(`${p.digest}\n${p.tag}\n${p.platform}`) ? h('span', { class: 'badge kind-regression' }, 'alert') : ''),
      },
      {
        label: 'Links',
        cell: (p) =>
          h(
            'span',
            { class: 'links' },
            p.baselineDigest
              ? h(
                  'a',
                  {
                    href: href({ view: 'compare', registry, repository, from: indexOf(p.baselineDigest), to: apiDigest(p), platform: p.platform }),
                    'aria-label': `compare with previous: ${p.tag} against ${p.baselineTag ?? 'its baseline'}`,
                  },
                  'compare with previous',
                )
              : null,
            p.baselineDigest ? ' · ' : null,
            h(
              'a',
              {
                href: href({ view: 'whatif', registry, repository, digest: apiDigest(p), platform: p.platform, overrides: {} }),
                'aria-label': `what-if for ${p.tag}`,
              },
              'what-if',
            ),
          ),
      },
    ],
  });
}

import { ApiError, getJson } from '../api/client';
import { apiDigest, storedImage } from '../api/images';
import type { CompareAnswer, CompareLayer, EstimateAnswer, FileChange } from '../api/types';
import { divergingBars } from '../components/divergingBars';
import { TARGETS } from '../components/estimates';
import { emptyState, errorState, loading, section } from '../components/states';
import { dataTable } from '../components/table';
import { h } from '../dom';
import { formatBytes, formatDeltaBytes, formatDeltaSeconds, formatMoneyChange, formatPercent, formatSeconds, formatStep, shortDigest } from '../format';
import { part, tiles } from '../layout';
import { href } from '../route';

type CompareRoute = { registry: string; repository: string; from: string; to: string; platform?: string };

export async function comparePage(main: HTMLElement, route: CompareRoute): Promise<void> {
  const { registry, repository } = route;
  const status = h('div', {}, loading('the comparison'));
  main.append(status);
  let c: CompareAnswer;
  try {
    // A link may name platform manifests of multi-platform pushes, which the API knows by their index.
    const [from, to] = await Promise.all([
      storedImage(registry, repository, route.from, route.platform),
      storedImage(registry, repository, route.to, route.platform),
    ]);
    c = await getJson<CompareAnswer>('compare', {
      registry,
      repository,
      from: from.digest,
      to: to.digest,
      platform: route.platform ?? to.platform ?? from.platform,
      top: 20,
    });
  } catch (e) {
    status.remove();
    main.append(e instanceof ApiError && e.status === 404 ? emptyState('Nothing to compare', e.message) : errorState('the comparison', e));
    return;
  }
  status.remove();
  const side = (label: string, s: CompareAnswer['from']) =>
    h(
      'a',
      { href: href({ view: 'image', registry, repository, digest: apiDigest(s), platform: s.platform }) },
      `${label} `,
      h('code', {}, shortDigest(s.digest)),
    );
  main.append(
    h('p', { class: 'muted' }, side('from', c.from), ' → ', side('to', c.to), ` · ${c.to.platform}`),
    tiles([
      {
        label: 'Size',
        value: formatDeltaBytes(c.sizeDeltaBytes),
        note: `${formatBytes(c.from.sizeBytes)} → ${formatBytes(c.to.sizeBytes)}${c.sizeDeltaPercent !== null ? ` (${formatPercent(c.sizeDeltaPercent / 100)})` : ''}`,
      },
      { label: 'Added', value: formatBytes(c.addedBytes), note: `${layers(c.layers.added.length)} a node holding "from" downloads` },
      { label: 'Removed', value: formatBytes(c.removedBytes), note: layers(c.layers.removed.length) },
      { label: 'Shared', value: formatBytes(c.sharedBytes), note: layers(c.layers.shared.length) },
      { label: 'Base image', value: c.base.changed ? 'changed' : 'same', note: c.base.reason },
    ]),
  );

  part(main, 'Dockerfile steps', { lead: 'Each step before and after: growth to the right, shrinking to the left.' }).replaceChildren(
    c.steps.length ? divergingBars(c.steps) : emptyState('No steps', 'Neither image carries a history that names its steps.'),
  );

  const deltas = part(main, 'Cost and cold start');
  void section(
    deltas,
    'the estimates',
    () =>
      Promise.all([
        getJson<EstimateAnswer>('estimate', { registry, repository, digest: apiDigest(c.from), platform: c.from.platform }),
        getJson<EstimateAnswer>('estimate', { registry, repository, digest: apiDigest(c.to), platform: c.to.platform, baseline: apiDigest(c.from) }),
      ]),
    ([before, after]) => estimateDeltas(before, after),
  );

  part(main, 'Layers').replaceChildren(layerList('Added', c.layers.added), layerList('Removed', c.layers.removed), layerList('Shared', c.layers.shared));

  const files = part(main, 'Files');
  if (c.files.status !== 'done') {
    files.replaceChildren(
      emptyState(
        c.files.status === 'pending' ? 'Being read' : 'Not known',
        c.files.status === 'pending'
          ? 'The file-level diff is shown once both images’ layers are read.'
          : 'One of the images’ layers were never read (LAYER_ANALYSIS).',
      ),
    );
  } else {
    files.replaceChildren(
      tiles([
        {
          label: 'On disk',
          value: formatDeltaBytes(c.files.onDiskDeltaBytes ?? 0),
          note: c.files.complete === false ? 'some layers not read' : 'final filesystem',
        },
      ]),
      fileChanges('Added', c.files.added ?? []),
      fileChanges('Grown', c.files.grown ?? []),
      fileChanges('Shrunk', c.files.shrunk ?? []),
      fileChanges('Removed', c.files.removed ?? []),
    );
  }
}

const layers = (n: number) => `${n} layer${n === 1 ? '' : 's'}`;

function estimateDeltas(before: EstimateAnswer, after: EstimateAnswer): HTMLElement {
  const rows = TARGETS.map(({ key, label }) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, label),
      h('td', { class: 'num' }, formatSeconds(before.pull[key].coldStartSeconds)),
      h('td', { class: 'num' }, formatSeconds(after.pull[key].coldStartSeconds)),
      h('td', { class: 'num' }, formatDeltaSeconds(after.pull[key].coldStartSeconds - before.pull[key].coldStartSeconds)),
    ),
  );
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'estimates' },
        h('caption', {}, 'Cold start, before and after'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Target'),
            h('th', { scope: 'col', class: 'num' }, 'Before'),
            h('th', { scope: 'col', class: 'num' }, 'After'),
            h('th', { scope: 'col', class: 'num' }, 'Change'),
          ),
        ),
        h('tbody', {}, rows),
      ),
    ),
    h('p', {}, 'Storage per month: ', h('strong', {}, formatMoneyChange(before.cost.imageMonthly, after.cost.imageMonthly, after.cost.currency))),
    h('p', { class: 'muted' }, after.cost.note),
  );
}

function layerList(title: string, layers: CompareLayer[]): HTMLElement {
  return h(
    'div',
    { class: 'layer-group' },
    h('h3', {}, `${title} (${layers.length})`),
    layers.length
      ? h(
          'ul',
          {},
          layers.map((l) => h('li', {}, h('code', {}, l.createdBy ? formatStep(l.createdBy) : shortDigest(l.digest)), ` ${formatBytes(l.sizeBytes)}`)),
        )
      : h('p', { class: 'muted' }, 'none'),
  );
}

function fileChanges(title: string, changes: FileChange[]): HTMLElement {
  return h(
    'div',
    {},
    h('h3', {}, title),
    changes.length
      ? dataTable({
          caption: `${title} files`,
          rows: changes,
          columns: [
            { label: 'Path', cell: (f) => h('code', {}, f.path) },
            { label: 'Before', numeric: true, sort: (f) => f.beforeBytes, cell: (f) => formatBytes(f.beforeBytes) },
            { label: 'After', numeric: true, sort: (f) => f.afterBytes, cell: (f) => formatBytes(f.afterBytes) },
            { label: 'Change', numeric: true, sort: (f) => f.deltaBytes, cell: (f) => formatDeltaBytes(f.deltaBytes) },
            { label: 'Step', wide: true, cell: (f) => (f.step ? h('code', {}, formatStep(f.step)) : '') },
          ],
        })
      : h('p', { class: 'muted' }, 'none'),
  );
}

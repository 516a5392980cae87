import { ApiError, getJson, limiter } from '../api/client';
import { apiDigest } from '../api/images';
import type { AlertsAnswer, ImageAnswer, RepositoriesPage, RepositoryEntry, StorageAnswer, TrendPage } from '../api/types';
import { storageChart } from '../charts/storageChart';
import { alertList } from '../components/alertList';
import { sparkline } from '../components/sparkline';
import { emptyState, errorState, loading } from '../components/states';
import { dataTable } from '../components/table';
import { h, whenVisible } from '../dom';
import { formatAgo, formatBytes, formatCount, formatDate, formatDeltaBytes, formatMoney, formatTime, shortDigest } from '../format';
import { part, tiles } from '../layout';
import { href } from '../route';
import { connectRegistry } from './connect';

const GiB = 1024 ** 3;

async function allRepositories(registry: string): Promise<RepositoriesPage> {
  let page = await getJson<RepositoriesPage>('repositories', { registry });
  const repositories = [...page.repositories];
  while (page.continuationToken) {
    page = await getJson<RepositoriesPage>('repositories', { registry, continuationToken: page.continuationToken });
    repositories.push(...page.repositories);
  }
  return { ...page, repositories };
}

/** 404 is the storage API's way of saying nothing was recorded yet: not an error on this page. */
async function storageOrNone(registry: string): Promise<StorageAnswer | undefined> {
  try {
    return await getJson<StorageAnswer>('storage', { registry, days: 30 });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

export async function registryPage(main: HTMLElement, registry: string): Promise<void> {
  const status = h('div', {}, loading(`registry ${registry}`));
  main.append(status);
  const [repos, storage] = await Promise.allSettled([allRepositories(registry), storageOrNone(registry)]);
  status.remove();
  if (repos.status === 'fulfilled' && repos.value.repositories.length === 0 && storage.status === 'fulfilled' && !storage.value) {
    main.append(connectRegistry(registry));
    return;
  }

  const storageSlot = part(main, 'Storage', { lead: 'Unique bytes as ACR bills them: each blob once, however many repositories share it.' });
  if (storage.status === 'rejected') storageSlot.replaceChildren(errorState('the storage', storage.reason));
  else if (!storage.value) storageSlot.replaceChildren(emptyState('No storage recorded yet', 'Blobs are counted from the first push the service sees.'));
  else storageSlot.replaceChildren(...storageFigures(storage.value, repos.status === 'fulfilled' ? repos.value.reconcile : null));

  const tableSlot = part(main, 'Repositories');
  if (repos.status === 'rejected') tableSlot.replaceChildren(errorState('the repositories', repos.reason));
  else tableSlot.replaceChildren(repositoryTable(registry, repos.value.repositories));

  const alertsSlot = part(main, 'Latest alerts');
  getJson<AlertsAnswer>('alerts', { registry, limit: 5 })
    .then((a) =>
      alertsSlot.replaceChildren(
        a.alerts.length ? alertList(a.alerts) : emptyState('No alerts', 'Nothing has grown past a threshold.'),
        h('p', {}, h('a', { href: href({ view: 'alerts', registry }) }, 'All alerts')),
      ),
    )
    .catch((e: unknown) => alertsSlot.replaceChildren(errorState('the alerts', e)));
}

function storageFigures(s: StorageAnswer, reconcile: RepositoriesPage['reconcile']): Node[] {
  const p = s.projection;
  const crossing = p.alreadyExceeded
    ? `already over the ${formatCount(p.includedGiB)} GiB included`
    : !p.date
      ? 'never at the current rate (not growing)'
      : (p.daysLeft ?? 0) > 3650
        ? `in over ${formatCount(Math.floor((p.daysLeft ?? 0) / 365))} years at this rate`
        : `${formatDate(p.date)} (in ${formatCount(Math.round(p.daysLeft ?? 0))} days)`;
  const missed = reconcile ? `${formatCount(reconcile.missed.total)}` : 'not reconciled yet';
  return [
    tiles([
      { label: 'Unique storage', value: formatBytes(s.uniqueBytes), note: `${formatCount(s.blobCount)} blobs` },
      { label: 'Growth', value: `${formatDeltaBytes(s.growth.bytesPerDay)}/day`, note: `over the last ${s.growth.windowDays} days` },
      {
        label: 'Monthly cost',
        value: formatMoney(s.cost.totalMonthly, s.cost.currency),
        note: `${s.registryProfile.sku}${s.registryProfile.replicas > 1 ? ` × ${s.registryProfile.replicas} regions` : ''}: ${formatMoney(s.cost.skuMonthly, s.cost.currency)} + storage ${formatMoney(s.cost.storageMonthly, s.cost.currency)}`,
      },
      { label: 'Reclaimable', value: formatBytes(s.reclaimableBytes), note: `${formatCount(s.reclaimableBlobCount)} blobs no manifest uses` },
      { label: `Crosses ${formatCount(p.includedGiB)} GiB included`, value: crossing },
      {
        label: 'Missed by webhooks',
        value: missed,
        note: reconcile
          ? `${reconcile.missed.pushes} pushes, ${reconcile.missed.moved} moved tags, ${reconcile.missed.deletes} deletes found by reconcile since ${formatDate(reconcile.since)}`
          : 'a whole-registry backfill starts the reconcile (POST /api/backfill)',
      },
    ]),
    storageChart(s, p.includedGiB * GiB),
  ];
}

/** The table's rows: a repository and what its row loads once visible (sparkline, on-disk size). */
interface Row {
  entry: RepositoryEntry;
  onDisk?: number;
  /** Filled once loaded, so a re-sort redraws the row without asking again. */
  diskText?: string;
  sizes?: number[];
  loading?: Promise<void>;
}

const lazy = limiter(4);

function repositoryTable(registry: string, entries: RepositoryEntry[]): HTMLElement {
  const rows: Row[] = entries.map((entry) => ({ entry }));
  const since = new Date(Date.now() - 90 * 86_400_000).toISOString();
  return dataTable<Row>({
    caption: 'Repositories',
    rows,
    filterText: (r) => `${r.entry.repository} ${r.entry.latest?.tag ?? ''} ${r.entry.latest?.platform ?? ''}`,
    initialSort: { column: 0, descending: false },
    columns: [
      {
        label: 'Repository',
        sort: (r) => r.entry.repository,
        cell: (r) => h('a', { href: href({ view: 'repository', registry, repository: r.entry.repository }) }, r.entry.repository),
      },
      {
        label: 'Latest tag',
        sort: (r) => r.entry.latest?.tag,
        cell: (r) =>
          r.entry.latest
            ? h(
                'a',
                {
                  href: href({ view: 'image', registry, repository: r.entry.repository, digest: apiDigest(r.entry.latest), platform: r.entry.latest.platform }),
                  title: shortDigest(r.entry.latest.digest),
                },
                r.entry.latest.tag,
              )
            : '—',
      },
      {
        label: 'Platform',
        wide: true,
        sort: (r) => r.entry.latest?.platform,
        cell: (r) => {
          const others = Object.keys(r.entry.latestByPlatform).length - 1;
          return r.entry.latest ? `${r.entry.latest.platform}${others > 0 ? ` +${others}` : ''}` : '—';
        },
      },
      { label: 'Size', numeric: true, sort: (r) => r.entry.latest?.sizeBytes, cell: (r) => (r.entry.latest ? formatBytes(r.entry.latest.sizeBytes) : '—') },
      {
        label: 'On disk',
        numeric: true,
        wide: true,
        sort: (r) => r.onDisk,
        cell: (r) => h('span', { class: r.onDisk === undefined ? 'muted' : '', 'data-cell': 'disk' }, r.diskText ?? '…'),
      },
      {
        label: 'Change',
        numeric: true,
        sort: (r) => r.entry.latest?.sizeDeltaBytes ?? undefined,
        cell: (r) => {
          const l = r.entry.latest;
          if (!l || l.sizeDeltaBytes === null || l.sizeDeltaBytes === undefined || !l.baselineDigest) return h('span', { class: 'muted' }, 'first');
          return h(
            'a',
            {
              href: href({ view: 'compare', registry, repository: r.entry.repository, from: l.baselineDigest, to: apiDigest(l), platform: l.platform }),
              class: l.sizeDeltaBytes > 0 ? 'grew' : l.sizeDeltaBytes < 0 ? 'shrank' : '',
              'aria-label': `${formatDeltaBytes(l.sizeDeltaBytes)} against ${l.baselineTag ?? 'the previous point'}: compare`,
            },
            formatDeltaBytes(l.sizeDeltaBytes),
          );
        },
      },
      { label: 'Trend (90 days)', wide: true, cell: (r) => h('span', { 'data-cell': 'spark' }, r.sizes ? sparkOf(r) : h('span', { class: 'muted' }, '…')) },
      {
        label: 'Last push',
        sort: (r) => r.entry.latest?.pushedAt,
        cell: (r) =>
          r.entry.latest
            ? h('time', { datetime: r.entry.latest.pushedAt, title: formatTime(r.entry.latest.pushedAt) }, formatAgo(r.entry.latest.pushedAt))
            : '—',
      },
      {
        label: 'Last error',
        wide: true,
        sort: (r) => r.entry.lastError?.at,
        cell: (r) => (r.entry.lastError ? h('span', { class: 'error-text', title: formatTime(r.entry.lastError.at) }, r.entry.lastError.message) : ''),
      },
    ],
    onRow: (tr, r) => whenVisible(tr, () => void (r.loading ??= load(r, registry, since)).then(() => paint(tr, r))),
  });
}

function sparkOf(r: Row): Node {
  const sizes = r.sizes ?? [];
  return sizes.length > 1
    ? sparkline(sizes, `${r.entry.repository}: ${sizes.length} pushes in 90 days`)
    : h('span', { class: 'muted' }, sizes.length ? '1 push' : '—');
}

function paint(tr: HTMLTableRowElement, r: Row): void {
  if (!tr.isConnected) return;
  tr.querySelector('[data-cell=spark]')?.replaceChildren(sparkOf(r));
  const disk = tr.querySelector('[data-cell=disk]');
  disk?.replaceChildren(r.diskText ?? '—');
  disk?.classList.toggle('muted', r.onDisk === undefined);
}

/** The sparkline (the latest platform's points of the last 90 days) and the on-disk size of the latest image, once the row is seen. */
async function load(r: Row, registry: string, since: string): Promise<void> {
  const latest = r.entry.latest;
  if (!latest) {
    r.sizes = [];
    r.diskText = '—';
    return;
  }
  const repository = r.entry.repository;
  await Promise.all([
    lazy(() => getJson<TrendPage>('trend', { registry, repository, platform: latest.platform, since, limit: 1000 }))
      .then((t) => (r.sizes = t.points.filter((p) => !p.deletedAt).map((p) => p.sizeBytes)))
      .catch(() => (r.sizes = [])),
    lazy(() => getJson<ImageAnswer>('image', { registry, repository, digest: apiDigest(latest) }))
      .then((img) => {
        const found = img.platforms.find((p) => p.digest === latest.digest);
        const content = found && 'content' in found ? found.content : undefined;
        r.onDisk = content?.status === 'done' ? content.onDiskBytes : undefined;
        r.diskText = r.onDisk !== undefined ? formatBytes(r.onDisk) : content?.status === 'pending' ? 'reading…' : '—';
      })
      .catch(() => (r.diskText = '—')),
  ]);
}

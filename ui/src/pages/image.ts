import { baseLayerCount } from '../../../src/core/baseLayers';
import { ApiError, getJson } from '../api/client';
import { storedImage } from '../api/images';
import type { EstimateAnswer, ImageAnswer, ImageContent, ImagePlatform } from '../api/types';
import { stepOf } from '../charts/stepSeries';
import { estimateTable } from '../components/estimates';
import { fileTree } from '../components/fileTree';
import { emptyState, errorState, loading, section } from '../components/states';
import { dataTable } from '../components/table';
import { h } from '../dom';
import { formatBytes, formatCount, formatShare, formatStep, formatTime, shortDigest } from '../format';
import { part, tiles } from '../layout';
import { href } from '../route';

type ImageRoute = { registry: string; repository: string; digest: string; platform?: string };

export async function imagePage(main: HTMLElement, route: ImageRoute): Promise<void> {
  const { registry, repository } = route;
  const status = h('div', {}, loading(`image ${shortDigest(route.digest)}`));
  main.append(status);
  let image: ImageAnswer;
  let wanted = route.platform;
  try {
    const stored = await storedImage(registry, repository, route.digest, route.platform);
    image = stored.image;
    wanted = stored.platform ?? wanted;
  } catch (e) {
    status.remove();
    main.append(e instanceof ApiError && e.status === 404 ? emptyState('No such image', e.message) : errorState('the image', e));
    return;
  }
  status.remove();
  const platforms = image.platforms.filter((p): p is ImagePlatform => 'layers' in p);
  const chosen = platforms.find((p) => p.digest === route.digest) ?? platforms.find((p) => p.platform === wanted) ?? platforms[0];
  main.append(
    h(
      'p',
      { class: 'muted' },
      h('code', {}, image.digest),
      ` · ${image.kind} · tags ${image.tags.join(', ') || 'none'}`,
      image.firstPushedAt ? ` · first pushed ${formatTime(image.firstPushedAt)}` : '',
      image.deletedAt ? ` · deleted ${formatTime(image.deletedAt)}` : '',
    ),
  );
  if (platforms.length > 1) {
    main.append(
      h(
        'nav',
        { class: 'platform-switch', 'aria-label': 'Platforms' },
        platforms.map((p) =>
          h(
            'a',
            { href: href({ ...route, view: 'image', digest: image.digest, platform: p.platform }), 'aria-current': p === chosen ? 'page' : null },
            p.platform,
          ),
        ),
      ),
    );
  }
  if (!chosen) {
    main.append(emptyState(`Nothing to show: the image is ${image.status}`, image.reason ?? ''));
    return;
  }
  // What the APIs take: the index's digest and the platform, for a platform of a multi-platform push.
  const query = { registry, repository, digest: image.digest, platform: chosen.platform };
  const base = baseLayerCount({ created: chosen.created, layers: chosen.layers });
  main.append(
    tiles([
      { label: 'Size', value: formatBytes(chosen.sizeBytes), note: `${chosen.platform}, compressed` },
      { label: 'Layers', value: String(chosen.layerCount), note: base ? `${base} from the base image` : 'base image not known from the history' },
      ...(chosen.content?.status === 'done'
        ? [
            { label: 'On disk', value: formatBytes(chosen.content.onDiskBytes ?? 0), note: `${formatCount(chosen.content.fileCount ?? 0)} files` },
            { label: 'Efficiency', value: formatShare(chosen.content.efficiency ?? 1), note: `${formatBytes(chosen.content.wastedBytes ?? 0)} wasted` },
          ]
        : []),
    ]),
  );

  layerPart(part(main, 'Layers', { lead: 'Each layer with the Dockerfile step that made it. Compressed sizes, as pulled.' }), chosen, base);

  const estimates = part(main, 'Estimates');
  void section(
    estimates,
    'the estimates',
    () => getJson<EstimateAnswer>('estimate', query),
    (e) => [
      estimateTable(e, { caption: 'Cold start per target and storage cost' }),
      h(
        'p',
        { class: 'links' },
        h('a', { href: href({ view: 'whatif', ...query, overrides: {} }) }, 'What if…'),
        e.baselineDigest
          ? [' · ', h('a', { href: href({ view: 'compare', ...query, from: e.baselineDigest, to: image.digest }) }, 'compare with its baseline')]
          : null,
      ),
    ],
  );

  contentPart(part(main, 'What is inside'), chosen.content, query);
}

function layerPart(slot: HTMLElement, p: ImagePlatform, base: number | null): void {
  const total = Math.max(
    1,
    p.layers.reduce((s, l) => s + l.sizeBytes, 0),
  );
  const rows = p.layers.map((l, i) => ({ l, i }));
  slot.replaceChildren(
    base
      ? h('p', {}, `${base === 1 ? 'The first layer comes' : `The first ${base} layers come`} from the base image (its history predates the build).`)
      : h('p', { class: 'muted' }, 'The history does not tell which layers the base image brought.'),
    dataTable({
      caption: 'Layers',
      rows,
      columns: [
        { label: '#', numeric: true, sort: (r) => r.i, cell: (r) => String(r.i + 1) },
        {
          label: 'Step',
          cell: (r) => h('span', {}, base && r.i < base ? h('span', { class: 'badge base' }, 'base') : null, ' ', h('code', {}, stepOf(r.l, r.i))),
        },
        { label: 'Size', numeric: true, sort: (r) => r.l.sizeBytes, cell: (r) => formatBytes(r.l.sizeBytes) },
        {
          label: 'Share',
          wide: true,
          sort: (r) => r.l.sizeBytes,
          cell: (r) => {
            const bar = h('span', { class: 'share-bar' });
            bar.style.width = `${((r.l.sizeBytes / total) * 100).toFixed(1)}%`;
            return h('span', { class: 'share', title: formatShare(r.l.sizeBytes / total) }, bar);
          },
        },
        { label: 'Digest', wide: true, cell: (r) => h('code', {}, shortDigest(r.l.digest)) },
      ],
      // The last base layer is underlined: where the base image ends and the build begins.
      onRow: (tr, r) => tr.classList.toggle('base-boundary', base !== null && r.i === base - 1),
    }),
  );
}

function contentPart(
  slot: HTMLElement,
  content: ImageContent | undefined,
  query: { registry: string; repository: string; digest: string; platform: string },
): void {
  if (!content || content.status === 'not requested') {
    slot.replaceChildren(emptyState('Not analysed', 'Its layers were not read (pushed before LAYER_ANALYSIS was on, or with it off).'));
    return;
  }
  if (content.status === 'pending') {
    slot.replaceChildren(emptyState('Being read', 'The service is reading its layers; reload in a moment.'));
    return;
  }
  const findings = content.findings ?? [];
  slot.replaceChildren(
    tiles([
      { label: 'On disk', value: formatBytes(content.onDiskBytes ?? 0), note: 'final filesystem' },
      { label: 'Shipped', value: formatBytes(content.shippedBytes ?? 0), note: 'uncompressed layers' },
      { label: 'Wasted', value: formatBytes(content.wastedBytes ?? 0), note: 'replaced or deleted by a later layer' },
      { label: 'Efficiency', value: formatShare(content.efficiency ?? 1), note: 'as dive computes it' },
    ]),
    content.complete === false ? h('p', { class: 'muted' }, 'Some layers were not analysed: the figures cover the layers read.') : '',
    h('h3', {}, 'Findings'),
    findings.length
      ? h(
          'ul',
          { class: 'findings' },
          findings.map((f) =>
            h(
              'li',
              {},
              h('strong', {}, f.label),
              ` ${formatBytes(f.compressedBytes)} compressed, ${formatBytes(f.onDiskBytes)} on disk, ${formatCount(f.fileCount)} files`,
              f.step ? h('div', {}, 'from ', h('code', {}, formatStep(f.step))) : null,
              h('p', { class: 'advice' }, f.advice),
            ),
          ),
        )
      : h('p', {}, 'Nothing that does not belong in a production image (compilers, caches, .git, …).'),
    ...(content.topWasted?.length
      ? [
          h('h3', {}, 'Largest wasted files'),
          dataTable({
            caption: 'Wasted files',
            rows: content.topWasted,
            columns: [
              { label: 'Path', cell: (w) => h('code', {}, w.path) },
              { label: 'Bytes', numeric: true, sort: (w) => w.bytes, cell: (w) => formatBytes(w.bytes) },
              { label: 'How', cell: (w) => `${w.by} by layer ${w.byLayer + 1}` },
            ],
          }),
        ]
      : []),
    h('h3', {}, 'Files'),
    fileTree(query),
  );
}

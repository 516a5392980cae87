import { alertBaseline } from '../api/baseline';
import { apiDigest } from '../api/images';
import type { AlertRecord } from '../api/types';
import { h, whenVisible } from '../dom';
import { formatAgo, formatTime } from '../format';
import { href } from '../route';

export function stateBadge(state: AlertRecord['state']): HTMLElement {
  return h('span', { class: `badge state-${state}` }, state);
}

export function kindBadge(kind: AlertRecord['kind']): HTMLElement {
  return h('span', { class: `badge kind-${kind}` }, kind);
}

/**
 * A link to the alert's compare page once its baseline is known (read when the link
 * scrolls into view); a first push, which has no baseline, links to its image instead.
 */
export function compareLinkFor(a: AlertRecord): HTMLElement {
  const image = href({ view: 'image', registry: a.registry, repository: a.repository, digest: apiDigest(a), platform: a.platform });
  const link = h('a', { href: image, 'data-link': 'pending' }, 'image');
  whenVisible(link, () => {
    alertBaseline(a)
      .then((from) => {
        if (from) {
          link.setAttribute('href', href({ view: 'compare', registry: a.registry, repository: a.repository, from, to: apiDigest(a), platform: a.platform }));
          link.textContent = 'compare';
          link.dataset.link = 'compare';
        } else link.dataset.link = 'image';
      })
      .catch(() => (link.dataset.link = 'image'));
  });
  return link;
}

/** The registry page's few latest alerts: what fired where, and how its delivery went. */
export function alertList(alerts: AlertRecord[]): HTMLElement {
  return h(
    'ul',
    { class: 'alert-list' },
    alerts.map((a) =>
      h(
        'li',
        {},
        kindBadge(a.kind),
        ' ',
        h('a', { href: href({ view: 'repository', registry: a.registry, repository: a.repository }) }, `${a.repository}:${a.tag}`),
        ' ',
        h('span', { class: 'muted' }, a.findings.map((f) => f.summary).join('; ') || a.rules.join(', ')),
        ' ',
        stateBadge(a.state),
        ' ',
        h('time', { datetime: a.createdAt, title: formatTime(a.createdAt), class: 'muted' }, formatAgo(a.createdAt)),
        ' · ',
        compareLinkFor(a),
      ),
    ),
  );
}

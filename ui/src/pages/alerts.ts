import { getJson } from '../api/client';
import type { AlertRecord, AlertsAnswer } from '../api/types';
import { compareLinkFor, kindBadge, stateBadge } from '../components/alertList';
import { emptyState, section } from '../components/states';
import { dataTable } from '../components/table';
import { h } from '../dom';
import { formatAgo, formatTime } from '../format';
import { part } from '../layout';
import { href } from '../route';

/** The alert history, newest first: what fired, how delivery went (state, attempts, the last error), and the change itself. */
export async function alertsPage(main: HTMLElement, route: { registry: string; repository?: string }): Promise<void> {
  const { registry, repository } = route;
  const slot = part(main, repository ? `Alerts of ${repository}` : 'Alert history', { lead: 'Newest first, at most 1,000.' });
  await section(
    slot,
    'the alerts',
    () => getJson<AlertsAnswer>('alerts', { registry, repository, limit: 1000 }),
    (a) =>
      a.alerts.length
        ? alertTable(a.alerts)
        : emptyState(
            'No alerts',
            repository ? `No rule has fired for ${repository}.` : 'No rule has fired in this registry.',
            h('p', {}, h('a', { href: href({ view: 'registry', registry }) }, 'Back to the registry')),
          ),
  );
}

function alertTable(alerts: AlertRecord[]): HTMLElement {
  return dataTable<AlertRecord>({
    caption: 'Alerts',
    rows: alerts,
    pageSize: 100,
    initialSort: { column: 0, descending: true },
    filterText: (a) => `${a.repository} ${a.tag} ${a.state} ${a.kind} ${a.rules.join(' ')} ${a.lastError ?? ''}`,
    columns: [
      { label: 'Created', sort: (a) => a.createdAt, cell: (a) => h('time', { datetime: a.createdAt, title: formatAgo(a.createdAt) }, formatTime(a.createdAt)) },
      {
        label: 'Image',
        sort: (a) => `${a.repository}:${a.tag}`,
        cell: (a) =>
          h(
            'span',
            {},
            h('a', { href: href({ view: 'repository', registry: a.registry, repository: a.repository }) }, a.repository),
            `:${a.tag}`,
            h('div', { class: 'muted' }, a.platform),
          ),
      },
      { label: 'Kind', sort: (a) => a.kind, cell: (a) => kindBadge(a.kind) },
      {
        label: 'Rules',
        cell: (a) =>
          h(
            'ul',
            { class: 'plain' },
            a.findings.map((f) => h('li', {}, h('strong', {}, f.rule), ` ${f.summary}`)),
          ),
      },
      {
        label: 'State',
        sort: (a) => a.state,
        cell: (a) => h('span', {}, stateBadge(a.state), a.sentAt ? h('div', { class: 'muted' }, `sent ${formatTime(a.sentAt)}`) : null),
      },
      { label: 'Attempts', numeric: true, sort: (a) => a.attempts, cell: (a) => String(a.attempts) },
      {
        label: 'Last error',
        wide: true,
        cell: (a) =>
          a.lastError
            ? h(
                'span',
                { class: 'error-text' },
                a.lastError,
                a.state === 'pending' ? h('div', { class: 'muted' }, `next attempt ${formatTime(a.nextAttemptAt)}`) : null,
              )
            : '',
      },
      { label: 'Change', cell: (a) => compareLinkFor(a) },
    ],
  });
}

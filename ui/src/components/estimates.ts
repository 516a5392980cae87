import type { EstimateAnswer, TargetEstimate } from '../api/types';
import { h } from '../dom';
import { formatDeltaSeconds, formatMoney, formatSeconds } from '../format';

export const TARGETS = [
  { key: 'aci', label: 'Azure Container Instances' },
  { key: 'appService', label: 'App Service' },
  { key: 'aks', label: 'AKS' },
] as const;

function detail(key: (typeof TARGETS)[number]['key'], t: TargetEstimate): string {
  if (key === 'appService' && t.restartSeconds !== undefined) return `restart ${formatSeconds(t.restartSeconds)}`;
  if (key === 'aks' && t.warmNodeSeconds !== undefined) return `on a warm node ${formatSeconds(t.warmNodeSeconds)}`;
  return '';
}

/**
 * Cold start per target and what the image costs to store, as /api/estimate computes
 * them; `compareWith` adds a column of the same figures under other parameters (what-if).
 */
export function estimateTable(
  e: EstimateAnswer,
  opts: { caption: string; compareWith?: EstimateAnswer; compareLabel?: string } = { caption: 'Estimates' },
): HTMLElement {
  const other = opts.compareWith;
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'estimates' },
      h('caption', {}, opts.caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Target'),
          h('th', { scope: 'col', class: 'num' }, 'Cold start'),
          h('th', { scope: 'col', class: other ? 'num wide' : 'num' }, 'vs baseline'),
          other ? h('th', { scope: 'col', class: 'num' }, opts.compareLabel ?? 'Before') : null,
        ),
      ),
      h(
        'tbody',
        {},
        TARGETS.map(({ key, label }) => {
          const t = e.pull[key];
          const d = detail(key, t);
          return h(
            'tr',
            { 'data-target': key },
            h('th', { scope: 'row' }, label, d ? h('div', { class: 'muted' }, d) : null),
            h('td', { class: 'num', 'data-figure': `${key}.coldStart` }, formatSeconds(t.coldStartSeconds)),
            h('td', { class: other ? 'num wide' : 'num' }, t.coldStartDeltaSeconds === null ? '—' : formatDeltaSeconds(t.coldStartDeltaSeconds)),
            other ? h('td', { class: 'num' }, formatSeconds(other.pull[key].coldStartSeconds)) : null,
          );
        }),
        h(
          'tr',
          {},
          h(
            'th',
            { scope: 'row' },
            'Storage per month',
            h('div', { class: 'muted' }, `${e.registryProfile.sku}${e.registryProfile.replicas > 1 ? ` × ${e.registryProfile.replicas}` : ''}`),
          ),
          h('td', { class: 'num', 'data-figure': 'cost.imageMonthly' }, formatMoney(e.cost.imageMonthly, e.cost.currency)),
          h('td', { class: other ? 'num wide' : 'num' }, `push ${formatMoney(e.cost.pushMarginalMonthly, e.cost.currency)}`),
          other ? h('td', { class: 'num' }, formatMoney(other.cost.imageMonthly, other.cost.currency)) : null,
        ),
      ),
    ),
    h('p', { class: 'muted', 'data-figure': 'cost.note' }, e.cost.note),
  );
}

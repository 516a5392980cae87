import { h } from '../dom';
import { formatBytes, formatDeltaBytes, formatStep } from '../format';
import type { StepDelta } from '../api/types';

/**
 * Each Dockerfile step's change as a bar from a centre line: shrinking to the left,
 * growing to the right, scaled to the largest change, with before → after beside it.
 * Bars are `<meter>`-free divs sized through CSSOM (the CSP refuses style attributes).
 */
export function divergingBars(steps: StepDelta[]): HTMLElement {
  const max = Math.max(1, ...steps.map((s) => Math.abs(s.deltaBytes)));
  const list = h('ol', { class: 'diverging', 'aria-label': 'Dockerfile steps, before and after' });
  for (const s of steps) {
    const share = Math.abs(s.deltaBytes) / max;
    const bar = h('span', { class: `bar ${s.deltaBytes > 0 ? 'grow' : s.deltaBytes < 0 ? 'shrink' : 'same'}` });
    bar.style.width = `${(share * 100).toFixed(1)}%`;
    const left = h('span', { class: 'half left' }, s.deltaBytes < 0 ? bar : null);
    const right = h('span', { class: 'half right' }, s.deltaBytes > 0 ? bar : null);
    list.append(
      h(
        'li',
        { class: `step-row change-${s.change}` },
        h('span', { class: 'step-text' }, h('code', {}, formatStep(s.step))),
        h('span', { class: 'bars', 'aria-hidden': 'true' }, left, h('span', { class: 'axis' }), right),
        h(
          'span',
          { class: 'step-figures' },
          h('span', { class: 'delta' }, s.change === 'unchanged' ? 'unchanged' : formatDeltaBytes(s.deltaBytes)),
          h(
            'span',
            { class: 'muted' },
            ` ${s.change === 'added' ? 'new' : formatBytes(s.beforeBytes)} → ${s.change === 'removed' ? 'gone' : formatBytes(s.afterBytes)}`,
          ),
        ),
      ),
    );
  }
  return list;
}

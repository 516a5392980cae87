import { ApiError } from '../api/client';
import { h } from '../dom';

/** A region that is being loaded: announced once to screen readers, shown as a quiet line. */
export function loading(what: string): HTMLElement {
  return h('p', { class: 'state loading', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Loading ${what}…`);
}

/** An API error as the API put it (its `error` message), with what was being read. */
export function errorState(what: string, e: unknown): HTMLElement {
  const message = e instanceof Error ? e.message : String(e);
  const status = e instanceof ApiError && e.status ? ` (HTTP ${e.status} from /api/${e.path})` : '';
  return h('div', { class: 'state error', role: 'alert' }, h('p', { class: 'state-title' }, `Could not load ${what}${status}`), h('p', {}, message));
}

/** Nothing to show yet, and what to do about it. */
export function emptyState(title: string, ...body: (Node | string)[]): HTMLElement {
  return h('div', { class: 'state empty' }, h('p', { class: 'state-title' }, title), ...body);
}

/**
 * Fills `slot` with a loading line, then what `render` builds from the data, or the
 * error. Sections of a page load on their own: a slow or failing API leaves the rest.
 */
export async function section<T>(slot: HTMLElement, what: string, load: () => Promise<T>, render: (data: T) => Node | Node[]): Promise<T | undefined> {
  slot.replaceChildren(loading(what));
  slot.setAttribute('aria-busy', 'true');
  try {
    const data = await load();
    const out = render(data);
    slot.replaceChildren(...(Array.isArray(out) ? out : [out]));
    return data;
  } catch (e) {
    if ((e as Error).name === 'AbortError') return undefined;
    slot.replaceChildren(errorState(what, e));
    return undefined;
  } finally {
    slot.removeAttribute('aria-busy');
  }
}

/**
 * The API reference, rendered in the browser from the service's own OpenAPI document
 * (`/api/openapi.json`) by Redoc's standalone bundle, inlined into this page at build
 * time (scripts/build-ui.mjs): no CDN, and the reference cannot drift from the service
 * that serves it. Redoc over Scalar: a read-only reference is what is needed (the APIs
 * are GETs behind a function key, a "try it" console would only fight the page's CSP),
 * and Redoc's standalone build is one 1.1 MB file with no run-time fetches, where
 * Scalar's pulls Vue, an API client and fonts from its CDN by default.
 */
import '../styles.css';
import { ApiError, getJson } from '../api/client';
import { emptyState, errorState, loading } from '../components/states';
import { h } from '../dom';

const THEME = {
  colors: { primary: { main: '#0b5cad' }, text: { primary: '#1f2328' } },
  typography: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif', headings: { fontFamily: 'inherit' } },
  sidebar: { backgroundColor: '#f6f8fa' },
};

/** Back to the dashboard page the reference was opened from (its registry and view), else to the start. */
function backLink(): HTMLElement {
  return h(
    'a',
    {
      href: '?',
      onclick: (e: Event) => {
        if (history.length > 1) {
          e.preventDefault();
          history.back();
        }
      },
    },
    'Back to the dashboard',
  );
}

/**
 * Redoc gives each sidebar item an `aria-label` of the operation's summary (or the tag's
 * name), while what the item shows is more: the method badge ("get") before the summary,
 * and, for a tag that is open, its operations too. A spoken name that leaves out what is on
 * screen fails WCAG 2.5.3 (axe: label-content-name-mismatch, serious), for speech-input
 * users who say what they see. Without the label a menu item is named by its content, which
 * is what it shows. Redoc mounts items as tags open, so new ones are mended as they come.
 */
function nameMenuItemsByTheirText(root: HTMLElement): void {
  const mend = () => root.querySelectorAll('[role="menuitem"][aria-label]').forEach((item) => item.removeAttribute('aria-label'));
  new MutationObserver(mend).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
}

async function main(): Promise<void> {
  const app = document.getElementById('app')!;
  document.body.classList.add('reference');
  const target = h('div', { id: 'redoc' });
  const status = h('div', { class: 'reference-status' }, loading('the OpenAPI document'));
  app.replaceChildren(
    h('a', { class: 'skip', href: '#redoc' }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '?' }, 'acr-size-tracker'),
      h('nav', { 'aria-label': 'Dashboard' }, h('ul', {}, h('li', {}, backLink()))),
    ),
    h('main', { id: 'main' }, h('h1', { class: 'visually-hidden' }, 'API reference'), status, target),
  );
  let spec: object;
  try {
    spec = await getJson<object>('openapi.json');
  } catch (e) {
    status.replaceChildren(
      e instanceof ApiError && e.status === 404
        ? emptyState(
            'The OpenAPI document is not served yet',
            h(
              'p',
              {},
              'GET /api/openapi.json answered 404: this deployment does not publish its contract. The README\u2019s "HTTP API" section describes every endpoint.',
            ),
          )
        : errorState('the OpenAPI document', e),
    );
    return;
  }
  nameMenuItemsByTheirText(target);
  window.Redoc!.init(spec, { theme: THEME, hideDownloadButton: false, expandResponses: '200,201,202', nativeScrollbars: true }, target, (error) => {
    status.replaceChildren(error ? errorState('the reference', error) : '');
    document.body.dataset.ready = 'true';
  });
}

void main().finally(() => {
  if (!document.getElementById('redoc')?.hasChildNodes()) document.body.dataset.ready = 'true';
});

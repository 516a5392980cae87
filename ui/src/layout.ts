import { forgetTokens, signedInName } from './api/signIn';
import { h } from './dom';
import { href, type Route } from './route';

/** One step of the breadcrumb trail: a link, or the current page when it has no href. */
export interface Crumb {
  label: string;
  href?: string;
}

/** The trail from the registry down to the page: the registry and repository are always one click away. */
export function crumbsFor(route: Route): Crumb[] {
  // The registry page is the top: its own name is the title.
  if (!('registry' in route) || route.view === 'registry') return [];
  const crumbs: Crumb[] = [{ label: route.registry, href: href({ view: 'registry', registry: route.registry }) }];
  if ('repository' in route && route.repository) {
    crumbs.push({ label: route.repository, href: href({ view: 'repository', registry: route.registry, repository: route.repository }) });
  }
  return crumbs;
}

/** With Entra sign-in: who is signed in, and a way to sign this tab out (it forgets the tokens; the next read asks to sign in). */
function signedIn(): HTMLElement | null {
  const name = signedInName();
  if (!name) return null;
  return h(
    'li',
    { class: 'signed-in' },
    h('span', {}, name),
    ' ',
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          forgetTokens();
          location.reload();
        },
      },
      'Sign out',
    ),
  );
}

/** The page frame: a skip link, the header with the way to every registry-wide page and the API reference, and the main region. */
export function frame(route: Route, title: string): HTMLElement {
  const registry = 'registry' in route ? route.registry : undefined;
  const nav = h(
    'nav',
    { 'aria-label': 'Dashboard' },
    h(
      'ul',
      {},
      registry
        ? h('li', {}, h('a', { href: href({ view: 'registry', registry }), 'aria-current': route.view === 'registry' ? 'page' : null }, 'Registry'))
        : null,
      registry
        ? h(
            'li',
            {},
            h(
              'a',
              {
                href: href({ view: 'alerts', registry, ...(route.view === 'alerts' && route.repository ? { repository: route.repository } : {}) }),
                'aria-current': route.view === 'alerts' ? 'page' : null,
              },
              'Alerts',
            ),
          )
        : null,
      h('li', {}, h('a', { href: href({ view: 'reference' }) }, 'API reference')),
      signedIn(),
    ),
  );
  const crumbs = crumbsFor(route);
  const main = h(
    'main',
    { id: 'main', tabindex: -1 },
    crumbs.length
      ? h(
          'nav',
          { class: 'crumbs', 'aria-label': 'Breadcrumb' },
          h(
            'ol',
            {},
            crumbs.map((c) => h('li', {}, c.href ? h('a', { href: c.href }, c.label) : c.label)),
          ),
        )
      : null,
    h('h1', {}, title),
  );
  const root = document.getElementById('app')!;
  root.replaceChildren(
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('header', { class: 'top' }, h('a', { class: 'brand', href: registry ? href({ view: 'registry', registry }) : '?' }, 'acr-size-tracker'), nav),
    main,
  );
  document.title = `${title} · acr-size-tracker`;
  return main;
}

/** A titled part of a page; its content is filled in as its data arrive. */
export function part(main: HTMLElement, title: string, opts: { id?: string; lead?: string } = {}): HTMLElement {
  const slot = h('div', { class: 'part-body' });
  const id = opts.id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  main.append(
    h(
      'section',
      { class: 'part', 'aria-labelledby': `${id}-title`, id },
      h('h2', { id: `${id}-title` }, title),
      opts.lead ? h('p', { class: 'muted' }, opts.lead) : null,
      slot,
    ),
  );
  return slot;
}

/** Key figures as a row of tiles: what a person looks for first. */
export function tiles(items: { label: string; value: string | Node; note?: string | Node }[]): HTMLElement {
  return h(
    'dl',
    { class: 'tiles' },
    items.map((t) =>
      h(
        'div',
        { class: 'tile' },
        h('dt', {}, t.label),
        h('dd', {}, h('span', { class: 'tile-value' }, t.value), t.note ? h('span', { class: 'tile-note' }, t.note) : null),
      ),
    ),
  );
}

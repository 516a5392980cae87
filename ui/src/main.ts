/**
 * The dashboard's entry: reads the view from the link (ui/src/route.ts), draws the page
 * frame and hands the main region to the page. Every page loads its data from the read
 * APIs itself; nothing is embedded in the HTML.
 */
import './styles.css';
import { beginSignIn, completeSignIn } from './api/signIn';
import { emptyState } from './components/states';
import { h } from './dom';
import { frame } from './layout';
import { alertsPage } from './pages/alerts';
import { comparePage } from './pages/compare';
import { connectRegistry } from './pages/connect';
import { imagePage } from './pages/image';
import { registryPage } from './pages/registry';
import { repositoryPage } from './pages/repository';
import { whatIfPage } from './pages/whatIf';
import { href, parseRoute, type Route } from './route';
import { shortDigest } from './format';

function titleOf(r: Route): string {
  switch (r.view) {
    case 'home':
      return 'Image sizes';
    case 'registry':
      return r.registry;
    case 'repository':
      return r.repository;
    case 'image':
      return `${r.repository}@${shortDigest(r.digest)}`;
    case 'compare':
      return `Compare ${r.repository}`;
    case 'alerts':
      return 'Alerts';
    case 'whatif':
      return `What if: ${r.repository}`;
    case 'reference':
      return 'API reference';
    case 'invalid':
      return 'Not a dashboard link';
  }
}

async function show(route: Route): Promise<void> {
  const main = frame(route, titleOf(route));
  document.body.dataset.view = route.view;
  switch (route.view) {
    case 'home':
      main.append(connectRegistry(undefined));
      return;
    case 'registry':
      return registryPage(main, route.registry);
    case 'repository':
      return repositoryPage(main, route);
    case 'image':
      return imagePage(main, route);
    case 'compare':
      return comparePage(main, route);
    case 'alerts':
      return alertsPage(main, route);
    case 'whatif':
      return whatIfPage(main, route);
    case 'reference':
      // The reference is its own page, which the function serves for this link: reached here only from a stale copy of this one.
      main.append(h('p', {}, h('a', { href: href({ view: 'reference' }) }, 'Open the API reference')));
      return;
    case 'invalid':
      main.append(emptyState(route.problem, h('p', {}, h('a', { href: '?' }, 'Start from a registry'))));
  }
}

/** A sign-in that came back refused or could not be completed: what the tenant said, and a way to try again. */
function signInFailed(e: unknown): void {
  const main = frame({ view: 'home' }, 'Sign-in failed');
  document.body.dataset.view = 'sign-in';
  main.append(
    emptyState(
      'Sign-in failed',
      h('p', {}, (e as Error)?.message ?? String(e)),
      h('p', {}, h('button', { type: 'button', onclick: () => void beginSignIn() }, 'Sign in again')),
    ),
  );
}

async function start(): Promise<void> {
  try {
    // Entra's redirect back: the page goes on to the link the person was on.
    if (await completeSignIn()) return;
  } catch (e) {
    return signInFailed(e);
  }
  await show(parseRoute(location.search));
}

void start().finally(() => {
  document.body.dataset.ready = 'true';
});

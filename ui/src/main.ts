/**
 * The dashboard's entry: reads the view from the link (ui/src/route.ts), draws the page
 * frame and hands the main region to the page. Every page loads its data from the read
 * APIs itself; nothing is embedded in the HTML.
 */
import './styles.css';
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

void show(parseRoute(location.search)).finally(() => {
  document.body.dataset.ready = 'true';
});

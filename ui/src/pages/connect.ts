import { h } from '../dom';
import { href } from '../route';

/**
 * What a new installation shows: nothing has been recorded for the registry, so the
 * page says how to make the registry tell the service about its pushes, with this
 * service's own webhook URL filled in.
 */
export function connectRegistry(registry: string | undefined): HTMLElement {
  const base = new URL('.', location.href).toString().replace(/\/$/, '');
  const name = registry?.replace(/\.azurecr\.io$/, '') ?? '<registry>';
  return h(
    'div',
    { class: 'state empty connect', 'data-state': 'new-installation' },
    h('p', { class: 'state-title' }, registry ? `Nothing recorded for ${registry} yet` : 'Which registry?'),
    h('p', {}, 'The service learns about images when the registry tells it about a push. Point the registry at it once:'),
    h(
      'ol',
      {},
      h(
        'li',
        {},
        'Add the registry to ',
        h('code', {}, 'ALLOWED_REGISTRIES'),
        ' (or ',
        h('code', {}, 'ADDITIONAL_ALLOWED_REGISTRIES'),
        ' in Azure) and grant the app AcrPull on it.',
      ),
      h(
        'li',
        {},
        'Create the webhook (Azure Container Registry):',
        h(
          'pre',
          {},
          h(
            'code',
            {},
            `az acr webhook create -r ${name} -n acrsizetracker --actions push delete \\\n  --uri ${base}/webhooks/acr --headers "Authorization=Bearer <WEBHOOK_SECRET>"`,
          ),
        ),
        'A CNCF Distribution registry notifies ',
        h('code', {}, `${base}/webhooks/distribution`),
        ' with the same header (see README "Try it").',
      ),
      h(
        'li',
        {},
        'Push an image. To record what the registry already holds, start a backfill:',
        h('pre', {}, h('code', {}, `POST ${base}/backfill?registry=${registry ?? '<registry>'}`)),
      ),
    ),
    h(
      'form',
      { class: 'registry-form', method: 'get', action: '' },
      h('input', { type: 'hidden', name: 'view', value: 'registry' }),
      h('label', { for: 'registry-input' }, 'Open a registry'),
      h('input', { id: 'registry-input', name: 'registry', placeholder: 'myregistry.azurecr.io', value: registry ?? '', required: true }),
      h('button', { type: 'submit' }, 'Open'),
    ),
    h('p', { class: 'muted' }, 'The ', h('a', { href: href({ view: 'reference' }) }, 'API reference'), ' documents every endpoint.'),
  );
}

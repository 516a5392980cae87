import { z } from 'zod';
import { ErrorSchema } from './errors';
import type { Operation } from './operation';
import { described } from './registry';

/** The dashboard routes on its query string in the browser; only `reference` is another page, and nothing is refused. */
export const UiQuery = z.object({
  view: described(z.string().optional(), 'The view to open (`compare`, …); `reference` is the API reference, rendered from this document.'),
});

export const uiOperation: Operation = {
  functionName: 'ui',
  operationId: 'getDashboard',
  method: 'GET',
  route: 'ui',
  access: 'public',
  tag: 'Service',
  summary: 'The dashboard page (HTML)',
  description: 'A self-contained page holding no data: what it shows comes from the read APIs, under their own auth level.',
  headers: [{ name: 'If-None-Match', required: false, description: 'The `ETag` of a page already held: answered 304 while it is current.' }],
  query: UiQuery,
  queryUnchecked: true,
  answers: {
    200: {
      description: 'The page.',
      mediaType: 'text/html',
      headers: { ETag: 'The page version.', 'Content-Security-Policy': 'Only the page’s own inline code runs.' },
    },
    304: { description: 'The page held (`If-None-Match`) is current.', headers: { ETag: 'The page version.' } },
    503: { description: 'The pages are not built (`npm run build` builds them).', body: ErrorSchema },
  },
};

import path from 'node:path';
import { app } from '@azure/functions';
import { getConfig, signInSettings } from '../config';
import { apiScope, authorityOf } from '../core/signIn';
import { handle } from '../http/handler';
import { UiPages, uiResponse } from '../http/uiPage';

/**
 * Where the built pages are, relative to the loaded entry: the deployment bundle
 * (dist/deploy/index.js) has them in ui/ beside it; tsc's output (dist/src/functions/ui.js,
 * what the local host loads from the repository root) two levels up, in dist/ui/.
 */
const signIn = signInSettings(getConfig());
const pages = new UiPages(
  [path.join(__dirname, 'ui'), path.join(__dirname, '..', '..', 'ui')],
  signIn && { authority: authorityOf(signIn.authorityHost, signIn.tenantId), clientId: signIn.clientId, scope: apiScope(signIn.clientId, signIn.scope) },
);

// Anonymous: the page holds no data; what it shows comes from the read APIs under API_AUTH_LEVEL and sign-in.
app.http('ui', {
  methods: ['GET'],
  route: 'ui',
  authLevel: 'anonymous',
  handler: handle(async (request) => uiResponse(pages, request.query.get('view'), request.headers.get('if-none-match'))),
});

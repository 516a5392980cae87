import { app } from '@azure/functions';
import { getConfig, signInSettings } from '../config';
import { handle } from '../http/handler';
import { signedIn } from '../http/signIn';
import { openApiDocument } from '../http/openapi';
import { json } from '../http/responses';

// The contract of every HTTP endpoint, under the read APIs' auth level: it shows what they answer, not what is stored.
// Built on the first request and kept: it depends on the code, the auth levels and the sign-in settings, all fixed for the process.
let document: Record<string, unknown> | undefined;

app.http('openapi', {
  methods: ['GET'],
  route: 'openapi.json',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(
    signedIn(async () => {
      const config = getConfig();
      document ??= openApiDocument({ readAuthLevel: config.API_AUTH_LEVEL, writeAuthLevel: config.API_WRITE_AUTH_LEVEL, signIn: signInSettings(config) });
      return json(200, document, { 'content-type': 'application/json' });
    }),
  ),
});

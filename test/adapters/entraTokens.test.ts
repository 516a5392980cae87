import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntraTokens, SignInUnavailableError, TokenRefusedError } from '../../src/adapters/entraTokens';
import { startEntraStandIn, type EntraStandIn } from '../integration/support/entraStandIn';

let idp: EntraStandIn;
let tokens: EntraTokens;

beforeAll(async () => {
  idp = await startEntraStandIn();
  tokens = new EntraTokens({ authorityHost: idp.authorityHost, tenantId: idp.tenantId, clientId: idp.clientId, scope: 'access_as_user', keysCooldownMs: 0 });
});
afterAll(() => idp.stop());

async function refusal(token: string, verifier = tokens): Promise<TokenRefusedError> {
  const e = await verifier.verify(token).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TokenRefusedError);
  return e as TokenRefusedError;
}

describe('EntraTokens (against a stand-in tenant over TLS)', () => {
  it('accepts a v2.0 token of the tenant for the app, for either audience form, and fetches the metadata and keys once', async () => {
    const before = idp.requests.length;
    expect(await tokens.verify(await idp.mint())).toEqual({ kind: 'user', id: idp.user.oid, name: idp.user.preferred_username });
    expect(await tokens.verify(await idp.mint({ aud: `api://${idp.clientId}` }))).toMatchObject({ kind: 'user' });
    const fetched = idp.requests.slice(before).map((r) => r.path);
    expect(fetched.filter((p) => p.endsWith('openid-configuration')).length).toBeLessThanOrEqual(1);
    expect(fetched.filter((p) => p.endsWith('/keys')).length).toBeLessThanOrEqual(1);
  });

  it('refuses each kind of wrong token with its reason', async () => {
    expect((await refusal(await idp.mint({}, { expiresIn: -3600 }))).reason).toBe('expired');
    // Within the five minutes of clock skew Microsoft's own token validation allows by default, an expired token still passes.
    expect(await tokens.verify(await idp.mint({}, { expiresIn: -60 }))).toMatchObject({ kind: 'user' });
    const aud = await refusal(await idp.mint({ aud: 'api://someone-else' }));
    expect([aud.reason, aud.message]).toEqual(['audience', `the token is for api://someone-else, not this app (${idp.clientId})`]);
    expect((await refusal(await idp.mint({ iss: 'https://elsewhere.example/v2.0' }))).reason).toBe('issuer');
    const v1 = await refusal(await idp.mint({ iss: `https://sts.windows.net/${idp.tenantId}/` }));
    expect(v1.message).toContain('"requestedAccessTokenVersion": 2');
    expect((await refusal(await idp.mint({ tid: randomUUID() }))).reason).toBe('tenant');
    expect((await refusal(await idp.mint({ scp: 'User.Read' }))).reason).toBe('scope');
    expect((await refusal(await idp.mint({}, { foreignKey: true }))).reason).toBe('signature');
    expect((await refusal('not-a-jwt')).reason).toBe('malformed');
    // A token whose payload was changed after signing.
    const [h, , s] = (await idp.mint()).split('.');
    const forged = Buffer.from(JSON.stringify({ tid: idp.tenantId, aud: idp.clientId, iss: idp.issuer, exp: 4e9, scp: 'access_as_user' })).toString(
      'base64url',
    );
    expect((await refusal(`${h}.${forged}.${s}`)).reason).toBe('signature');
  });

  it('takes up a rolled key: a token signed with a key published after the first fetch passes', async () => {
    await tokens.verify(await idp.mint());
    await idp.rollKeys();
    expect(await tokens.verify(await idp.mint())).toMatchObject({ kind: 'user' });
  });

  it('answers unavailable, not refused, when the keys cannot be fetched, and recovers when they can', async () => {
    const fresh = new EntraTokens({ authorityHost: idp.authorityHost, tenantId: idp.tenantId, clientId: idp.clientId, scope: 'access_as_user' });
    idp.keysDown = true;
    try {
      await expect(fresh.verify(await idp.mint())).rejects.toBeInstanceOf(SignInUnavailableError);
    } finally {
      idp.keysDown = false;
    }
    expect(await fresh.verify(await idp.mint())).toMatchObject({ kind: 'user' });
    const nowhere = new EntraTokens({ authorityHost: 'https://localhost:1', tenantId: idp.tenantId, clientId: idp.clientId, scope: 'access_as_user' });
    await expect(nowhere.verify(await idp.mint())).rejects.toThrow(/sign-in metadata https:\/\/localhost:1\/.* could not be read/);
  });
});

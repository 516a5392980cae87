import { describe, expect, it } from 'vitest';
import { admit, bearerToken } from '../../src/core/signIn';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const policy = { tenantId: TENANT, scope: 'access_as_user' };
const person = { tid: TENANT, oid: 'o-1', scp: 'openid access_as_user', preferred_username: 'ada@contoso.example', name: 'Ada' };

describe('admit', () => {
  it('lets in a person of the tenant whose token carries the scope, named by preferred_username', () => {
    expect(admit(person, policy)).toEqual({ ok: true, caller: { kind: 'user', id: 'o-1', name: 'ada@contoso.example' } });
  });

  it('compares the tenant id without regard to case', () => {
    expect(admit({ ...person, tid: TENANT.toUpperCase() }, policy).ok).toBe(true);
  });

  it('refuses another tenant, or a token without tid, naming both tenants', () => {
    expect(admit({ ...person, tid: 'other' }, policy)).toEqual({ ok: false, reason: 'tenant', message: `the token is from tenant other, not ${TENANT}` });
    expect(admit({ ...person, tid: undefined }, policy)).toMatchObject({ ok: false, reason: 'tenant' });
  });

  it('refuses a person whose token lacks the scope, listing the scopes it has', () => {
    expect(admit({ ...person, scp: 'User.Read' }, policy)).toEqual({
      ok: false,
      reason: 'scope',
      message: 'the token grants User.Read, not the scope access_as_user',
    });
    // A scope is a whole word of scp, not a part of one.
    expect(admit({ ...person, scp: 'access_as_user_extra' }, policy).ok).toBe(false);
  });

  it('refuses app-only tokens unless an app role is named and carried', () => {
    const app = { tid: TENANT, oid: 'sp-1', azp: 'client-app', roles: ['Reader'] };
    expect(admit(app, policy)).toMatchObject({ ok: false, reason: 'role', message: expect.stringContaining('ENTRA_APP_ROLE is not set') });
    expect(admit(app, { ...policy, appRole: 'Writer' })).toEqual({
      ok: false,
      reason: 'role',
      message: 'the app-only token carries the roles Reader, not Writer',
    });
    expect(admit({ ...app, roles: undefined }, { ...policy, appRole: 'Reader' })).toMatchObject({ ok: false, message: expect.stringContaining('no roles') });
    expect(admit(app, { ...policy, appRole: 'Reader' })).toEqual({ ok: true, caller: { kind: 'app', id: 'sp-1', name: 'client-app' } });
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header in any case, and nothing else', () => {
    expect(bearerToken('Bearer abc.def-_~+/=')).toBe('abc.def-_~+/=');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(null)).toBeUndefined();
  });
});

import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { hasBearerSecret } from '../../src/http/auth';

const request = (authorization?: string) =>
  new HttpRequest({ method: 'POST', url: 'http://localhost/api/webhooks/acr', headers: authorization ? { authorization } : {} });

describe('hasBearerSecret', () => {
  const current = 'current-secret-0123456789';
  const previous = 'previous-secret-0123456789';

  it('accepts the current secret, and the previous one during a rotation', () => {
    expect(hasBearerSecret(request(`Bearer ${current}`), [current])).toBe(true);
    expect(hasBearerSecret(request(`bearer   ${current}`), [current])).toBe(true);
    expect(hasBearerSecret(request(`Bearer ${previous}`), [current])).toBe(false);
    expect(hasBearerSecret(request(`Bearer ${previous}`), [current, previous])).toBe(true);
  });

  it('refuses a missing header, another scheme, a prefix or an extension of the secret', () => {
    expect(hasBearerSecret(request(), [current])).toBe(false);
    expect(hasBearerSecret(request(`Basic ${current}`), [current])).toBe(false);
    expect(hasBearerSecret(request(`Bearer ${current.slice(0, -1)}`), [current])).toBe(false);
    expect(hasBearerSecret(request(`Bearer ${current}x`), [current])).toBe(false);
    expect(hasBearerSecret(request('Bearer '), [''])).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { compareLink, dashboardLink } from '../../src/core/links';

describe('dashboard links', () => {
  it('route on the query string under the base URL, whatever its trailing slashes, and leave out what is not given', () => {
    expect(dashboardLink('https://sizes.example.com//', 'repository', { registry: 'r.azurecr.io', repository: 'team/app', tag: undefined })).toBe(
      'https://sizes.example.com/api/ui?view=repository&registry=r.azurecr.io&repository=team%2Fapp',
    );
    const url = new URL(
      compareLink('https://sizes.example.com', { registry: 'r.azurecr.io', repository: 'a/b', from: 'sha256:1', to: 'sha256:2', platform: 'linux/arm64/v8' }),
    );
    expect(url.pathname).toBe('/api/ui');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      view: 'compare',
      registry: 'r.azurecr.io',
      repository: 'a/b',
      from: 'sha256:1',
      to: 'sha256:2',
      platform: 'linux/arm64/v8',
    });
  });
});

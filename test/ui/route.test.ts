import { describe, expect, it } from 'vitest';
import { href, parseRoute } from '../../ui/src/route';

describe('the dashboard URL scheme', () => {
  it('reads each view from the query string, with its optional parts', () => {
    expect(parseRoute('?view=registry&registry=r.azurecr.io')).toEqual({ view: 'registry', registry: 'r.azurecr.io' });
    expect(parseRoute('?registry=r.azurecr.io')).toEqual({ view: 'registry', registry: 'r.azurecr.io' });
    expect(parseRoute('?view=repository&registry=r&repository=team/app&tag=v1')).toEqual({
      view: 'repository',
      registry: 'r',
      repository: 'team/app',
      tag: 'v1',
    });
    expect(parseRoute('?view=compare&registry=r&repository=a&from=sha256:1&to=sha256:2&platform=linux/arm64')).toEqual({
      view: 'compare',
      registry: 'r',
      repository: 'a',
      from: 'sha256:1',
      to: 'sha256:2',
      platform: 'linux/arm64',
    });
    expect(parseRoute('?view=alerts&registry=r')).toEqual({ view: 'alerts', registry: 'r' });
    expect(parseRoute('?view=whatif&registry=r&repository=a&digest=sha256:1&sku=Premium&bogus=1')).toEqual({
      view: 'whatif',
      registry: 'r',
      repository: 'a',
      digest: 'sha256:1',
      overrides: { sku: 'Premium' },
    });
    expect(parseRoute('')).toEqual({ view: 'home' });
    expect(parseRoute('?view=reference')).toEqual({ view: 'reference' });
  });

  it('says what a link lacks, and which pages exist', () => {
    expect(parseRoute('?view=compare&registry=r&repository=a&to=sha256:2')).toEqual({ view: 'invalid', problem: 'the compare page needs `from` in the link' });
    expect(parseRoute('?view=nope')).toMatchObject({ view: 'invalid', problem: expect.stringContaining('there is no "nope" page') });
  });

  it('writes links that read back as the same page', () => {
    const route = {
      view: 'whatif',
      registry: 'r.azurecr.io',
      repository: 'team/app',
      digest: 'sha256:ab',
      platform: 'linux/amd64',
      overrides: { 'aci.throughputMBps': '20' },
    } as const;
    expect(parseRoute(href(route))).toEqual(route);
    expect(href({ view: 'registry', registry: 'r:5000' })).toBe('?view=registry&registry=r%3A5000');
  });
});

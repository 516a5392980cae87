import { describe, expect, it } from 'vitest';
import { withConfigTime } from '../../src/services/push';
import type { PushEvent } from '../../src/core/events';
import type { PlatformImage } from '../../src/core/sizing';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const event = (over: Partial<PushEvent>): PushEvent => ({
  id: 'e',
  timestamp: '2026-12-04T10:00:00.000Z',
  source: 'backfill',
  registry: 'localhost:5443',
  repository: 'app',
  tag: 'v1',
  action: 'push',
  digest: d(1),
  pushedAtSource: 'discovered',
  ...over,
});
const image = (created?: string) => ({ digest: d(2), ...(created ? { created } : {}) }) as PlatformImage;

describe('withConfigTime', () => {
  it('stamps a discovered backfill event with the newest plausible config time of its platforms', () => {
    const e = withConfigTime(event({}), [image('2024-03-01T12:00:00Z'), image('2024-03-01T12:05:00.123456789Z'), image()]);
    expect(e).toMatchObject({ timestamp: '2024-03-01T12:05:00.123Z', pushedAtSource: 'config' });
  });

  it('keeps the discovery time for a reproducible build’s epoch, a time after discovery, or no time', () => {
    for (const platforms of [[image('1970-01-01T00:00:00Z')], [image('2027-01-01T00:00:00Z')], [image('not a time')], []])
      expect(withConfigTime(event({}), platforms)).toMatchObject({ timestamp: '2026-12-04T10:00:00.000Z', pushedAtSource: 'discovered' });
  });

  it('leaves registry times, reconcile events and webhooks alone', () => {
    const created = [image('2024-03-01T12:00:00Z')];
    expect(withConfigTime(event({ pushedAtSource: 'registry' }), created).pushedAtSource).toBe('registry');
    expect(withConfigTime(event({ source: 'reconcile' }), created).pushedAtSource).toBe('discovered');
    const hook = event({ source: 'acr' });
    delete hook.pushedAtSource;
    expect(withConfigTime(hook, created)).toBe(hook);
  });
});

/**
 * How long an alert waits for its image's content: from its first attempt, at most
 * ALERT_CONTENT_WAIT_SECONDS; never for an image pushed long before anything asked for it.
 */
import { describe, expect, it } from 'vitest';
import type { ImageContentRecord } from '../../src/core/contentAnalysis';
import { contentState, type ContentSources } from '../../src/services/alertContent';

const digest = `sha256:${'a'.repeat(64)}`;
const T0 = new Date('2026-12-04T00:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const pending: ImageContentRecord = { digest, repository: 'team/api', layers: [], status: 'pending', requestedAt: T0.toISOString() };

function sources(record: ImageContentRecord | undefined): ContentSources {
  return {
    layers: { image: async () => record, layers: async () => new Map() },
    indexes: { get: async () => undefined },
    waitMs: 120_000,
  };
}

describe('contentState', () => {
  it('waits while the content is pending, re-checking every 10 s, then goes without after the wait, counted from the first attempt', async () => {
    const src = sources(pending);
    expect(await contentState(src, 'r.azurecr.io', digest, T0.toISOString(), undefined, at(30))).toEqual({
      state: 'wait',
      since: at(30).toISOString(),
      delaySeconds: 10,
    });
    expect(await contentState(src, 'r.azurecr.io', digest, T0.toISOString(), at(30).toISOString(), at(145))).toEqual({
      state: 'wait',
      since: at(30).toISOString(),
      delaySeconds: 5,
    });
    expect(await contentState(src, 'r.azurecr.io', digest, T0.toISOString(), at(30).toISOString(), at(150))).toEqual({
      state: 'without',
      reason: 'timed out',
      waitedSeconds: 120,
    });
  });

  it('answers at once when the content is read, and does not wait for an image nobody asked about', async () => {
    const done = { ...pending, status: 'done' as const };
    expect(await contentState(sources(done), 'r.azurecr.io', digest, T0.toISOString(), undefined, at(30))).toEqual({ state: 'done', record: done });
    // No record: a push minutes old may still have its request queued; a point from last week was never analyzed.
    expect((await contentState(sources(undefined), 'r.azurecr.io', digest, T0.toISOString(), undefined, at(30))).state).toBe('wait');
    expect(await contentState(sources(undefined), 'r.azurecr.io', digest, T0.toISOString(), undefined, at(7 * 86_400))).toEqual({
      state: 'without',
      reason: 'not requested',
    });
  });
});

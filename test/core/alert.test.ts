import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { AlertRecordSchema, alertKind, isTransientDeliveryStatus, newAlert, NO_ROUTE, parseRetryAfter, type AlertRecord } from '../../src/core/alert';
import type { Finding } from '../../src/core/rules';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

const growth: Finding = { rule: 'growth', kind: 'regression', summary: 'Grew', observed: 1, threshold: 1 };
const subject = {
  registry: 'r.io',
  repository: 'a/b',
  tag: 'v1',
  platform: 'linux/amd64',
  digest: 'sha256:' + 'a'.repeat(64),
  pushedAt: '2026-11-27T10:00:00.000Z',
  createdAt: '2026-11-27T10:00:30.000Z',
};

describe('new alerts', () => {
  const smaller: Finding = { rule: 'improvement', kind: 'improvement', summary: 'Shrank', observed: 1, threshold: 1 };

  it('is a regression when any finding is, an improvement only when all are', () => {
    expect(alertKind([growth, smaller])).toBe('regression');
    expect(alertKind([smaller])).toBe('improvement');
  });

  it('waits for delivery with a route, and fails at once, saying why, without one', () => {
    expect(newAlert(subject, [growth], { kind: 'policy', url: 'https://x.logic.azure.com/w' }, 'id-1')).toMatchObject({
      id: 'id-1',
      state: 'pending',
      attempts: 0,
      nextAttemptAt: subject.createdAt,
      route: 'policy',
      rules: ['growth'],
      kind: 'regression',
    });
    const lost = newAlert(subject, [smaller], { kind: 'default', url: null }, 'id-2');
    expect(lost).toMatchObject({ state: 'failed', lastError: NO_ROUTE, kind: 'improvement' });
  });

  it('is recorded as backfilled, never waiting for a delivery nor failing for want of a route, when found on history', () => {
    for (const url of ['https://x.logic.azure.com/w', null]) {
      const alert = newAlert(subject, [growth], { kind: 'default', url }, 'id-3', true);
      expect(alert).toMatchObject({ state: 'backfilled', attempts: 0, rules: ['growth'] });
      expect(alert).not.toHaveProperty('lastError');
      expect(AlertRecordSchema.parse(alert)).toEqual(alert);
    }
  });

  it('retries 408, 429 and 5xx, not other refusals', () => {
    expect([408, 429, 500, 503].every(isTransientDeliveryStatus)).toBe(true);
    expect([400, 401, 403, 404, 413].some(isTransientDeliveryStatus)).toBe(false);
  });
});

describe('AlertRecordSchema', () => {
  it('describes AlertRecord field for field, so reading through it drops nothing', () => {
    expectTypeOf<z.output<typeof AlertRecordSchema>>().toEqualTypeOf<AlertRecord>();
  });

  it('reads back every alert the core makes unchanged, and refuses an unknown state or rule', () => {
    const failed = newAlert({ ...subject, indexDigest: 'sha256:' + 'b'.repeat(64) }, [growth], { kind: 'default', url: null }, 'id-1');
    const sent: AlertRecord = {
      ...newAlert(subject, [growth], { kind: 'policy', url: 'https://x.logic.azure.com/w' }, 'id-2'),
      state: 'sent',
      attempts: 1,
      sentAt: subject.createdAt,
    };
    for (const alert of [failed, sent]) expect(AlertRecordSchema.parse(alert)).toEqual(alert);
    expect(AlertRecordSchema.safeParse({ ...sent, state: 'lost' }).success).toBe(false);
    expect(AlertRecordSchema.safeParse({ ...sent, rules: ['shrink'] }).success).toBe(false);
  });
});

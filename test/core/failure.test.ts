import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { failureId, FailureRecordSchema, type FailureRecord } from '../../src/core/failure';
import { samplePush } from '../support/sampleEvent';

const { tag: _untagged, ...untagged } = samplePush;
const message = JSON.stringify(untagged);
const exhausted: FailureRecord = {
  id: failureId(message),
  registry: 'r.azurecr.io',
  kind: 'exhausted',
  reason: 'gave up after 5 attempts: registry answered 503',
  message,
  event: JSON.parse(message) as FailureRecord['event'],
  attempts: 5,
  failures: 2,
  firstFailedAt: '2026-11-27T10:05:00.000Z',
  lastFailedAt: '2026-11-27T11:05:00.000Z',
  state: 'replayed',
  replayedAt: '2026-11-27T11:00:00.000Z',
};

describe('FailureRecordSchema', () => {
  it('describes FailureRecord field for field, so reading through it drops nothing', () => {
    expectTypeOf<z.output<typeof FailureRecordSchema>>().toEqualTypeOf<FailureRecord>();
  });

  it('reads back a failure with its event, and one without, unchanged', () => {
    const invalid: FailureRecord = { ...exhausted, kind: 'invalid', event: undefined, state: 'failed', replayedAt: undefined };
    for (const f of [exhausted, JSON.parse(JSON.stringify(invalid)) as FailureRecord]) expect(FailureRecordSchema.parse(f)).toEqual(f);
  });

  it('refuses an unknown kind, and an event that is not an event', () => {
    expect(FailureRecordSchema.safeParse({ ...exhausted, kind: 'lost' }).success).toBe(false);
    expect(FailureRecordSchema.safeParse({ ...exhausted, event: { id: 'e1' } }).success).toBe(false);
  });
});

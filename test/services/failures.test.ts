import { describe, expect, it } from 'vitest';
import { StoredRecordError } from '../../src/core/errors';
import type { RegistryEvent } from '../../src/core/events';
import type { FailureRecord } from '../../src/core/failure';
import type { ImageRecord } from '../../src/core/image';
import type { RepositorySummary } from '../../src/core/repository';
import { recordPoisoned, type FailureDeps, type FailureStore } from '../../src/services/failures';
import type { ImageRead, ImageStore } from '../../src/services/ingest';
import type { SummaryStore } from '../../src/services/trendPoints';
import { samplePush } from '../support/sampleEvent';

const event: RegistryEvent = samplePush;
const broken = new StoredRecordError('acrsizeImages', 'r.azurecr.io|team%2Fapp', event.digest, 'status: Invalid option');

/** An image table whose one row no longer validates: every read of it fails, as the adapter's would. */
class UnreadableImages implements ImageStore {
  async get(): Promise<ImageRecord | undefined> {
    throw broken;
  }
  async read(): Promise<ImageRead> {
    throw broken;
  }
  async update(): Promise<ImageRecord> {
    throw broken;
  }
}

class Repositories implements SummaryStore {
  readonly rows = new Map<string, RepositorySummary>();
  async update(registry: string, repository: string, at: string, change: (s: RepositorySummary) => RepositorySummary | Promise<RepositorySummary>) {
    const next = await change(this.rows.get(repository) ?? { registry, repository, firstSeenAt: at, latestByPlatform: {} });
    this.rows.set(repository, next);
    return next;
  }
}

class Failures implements FailureStore {
  readonly rows: FailureRecord[] = [];
  async record(f: Omit<FailureRecord, 'failures' | 'firstFailedAt' | 'lastFailedAt' | 'state'>, at: string) {
    const r: FailureRecord = { ...f, failures: 1, firstFailedAt: at, lastFailedAt: at, state: 'failed' };
    this.rows.push(r);
    return r;
  }
  async list() {
    return this.rows;
  }
  async markReplayed() {}
}

describe('recordPoisoned', () => {
  it('records the failure of an event whose image record does not validate, naming that record', async () => {
    const failures = new Failures();
    const repositories = new Repositories();
    const deps: FailureDeps = {
      failures,
      images: new UnreadableImages(),
      repositories,
      queue: { enqueue: async () => undefined },
      allowedRegistries: [event.registry],
      now: () => new Date('2026-11-27T11:00:00.000Z'),
    };

    const record = await recordPoisoned(deps, event, 5);

    expect(record).toMatchObject({ kind: 'exhausted', attempts: 5, event, reason: `gave up after 5 attempts: ${broken.message}` });
    expect(failures.rows).toHaveLength(1);
    expect(repositories.rows.get('team/app')?.lastError?.message).toBe(`v1: gave up after 5 attempts: ${broken.message}`);
  });
});

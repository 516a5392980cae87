import { StoredRecordError } from '../core/errors';
import { RegistryEventSchema, type RegistryEvent } from '../core/events';
import { failureId, registryNamedBy, replayProblem, type FailureKind, type FailureRecord } from '../core/failure';
import { describeIssues } from '../core/validation';
import { recordTransientFailure, type IngestDeps } from './ingest';

/**
 * The poison queue's consumer and the replay of what it kept. Everything the events
 * trigger gives up on ends here, whether the host moved it after the last attempt or the
 * trigger refused it outright, so one place decides what a failure says.
 */

export interface FailureStore {
  record(f: Omit<FailureRecord, 'failures' | 'firstFailedAt' | 'lastFailedAt' | 'state'>, at: string): Promise<FailureRecord>;
  list(registry: string | undefined, limit: number): Promise<FailureRecord[]>;
  markReplayed(f: FailureRecord, at: string): Promise<void>;
}

export interface FailureDeps extends Pick<IngestDeps, 'images' | 'repositories'> {
  failures: FailureStore;
  queue: { enqueue(events: RegistryEvent[]): Promise<unknown> };
  allowedRegistries: readonly string[];
  now?: () => Date;
}

/** Why the events trigger refuses a message outright, or undefined when it may process it. */
export function refusal(message: unknown, allowedRegistries: readonly string[]): { kind: FailureKind; reason: string } | undefined {
  const parsed = RegistryEventSchema.safeParse(message);
  if (!parsed.success) return { kind: 'invalid', reason: `not a registry event: ${describeIssues(parsed.error, { root: '(message)' })}` };
  if (!allowedRegistries.includes(parsed.data.registry)) {
    return { kind: 'refused', reason: `registry ${parsed.data.registry} is not in ALLOWED_REGISTRIES; it was not contacted` };
  }
  return undefined;
}

/** A message from the poison queue: recorded as a failure, and for an event, its image and repository marked. */
export async function recordPoisoned(deps: FailureDeps, message: unknown, attempts: number): Promise<FailureRecord> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  const base = { id: failureId(text), registry: registryNamedBy(message), message: text.slice(0, 64 * 1024), attempts };
  const refused = refusal(message, deps.allowedRegistries);
  if (refused) {
    const parsed = RegistryEventSchema.safeParse(message);
    return deps.failures.record({ ...base, ...refused, ...(parsed.success ? { event: parsed.data } : {}) }, at);
  }
  const event = RegistryEventSchema.parse(message);
  // The last failed attempt left its reason on the image record, unless that record is what failed.
  const found = event.digest ? await unlessUnreadable(deps.images.get(event.registry, event.repository, event.digest)) : undefined;
  const image = found instanceof StoredRecordError ? undefined : found;
  const last = image?.status === 'retrying' || image?.status === 'failed' ? image.reason : undefined;
  const tried = Math.max(attempts, image?.attempt ?? 0);
  const reason = (found instanceof StoredRecordError ? found.message : (last ?? 'every attempt failed (the function logs say why)')).replace(
    /^gave up after \d+ attempts: /,
    '',
  );
  // Marking the image and repository reads them again: a record that does not validate must not also lose the failure.
  await unlessUnreadable(recordTransientFailure(event, deps, new Error(reason), tried, true));
  return deps.failures.record({ ...base, attempts: tried, kind: 'exhausted', reason: `gave up after ${tried} attempts: ${reason}`, event }, at);
}

/** The value, or the StoredRecordError it failed with; any other failure is thrown. */
async function unlessUnreadable<T>(work: Promise<T>): Promise<T | StoredRecordError> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof StoredRecordError) return e;
    throw e;
  }
}

export interface ReplayResult {
  replayed: { id: string; eventId: string }[];
  skipped: { id: string; reason: string }[];
}

/** Queues the failed events of a registry again (or one of them), once their cause is fixed. */
export async function replay(deps: FailureDeps, registry: string, id?: string): Promise<ReplayResult> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const all = (await deps.failures.list(registry, 1000)).filter((f) => !id || f.id === id);
  const result: ReplayResult = { replayed: [], skipped: [] };
  const ready: FailureRecord[] = [];
  for (const f of all) {
    const problem = replayProblem(f, deps.allowedRegistries);
    if (problem) result.skipped.push({ id: f.id, reason: problem });
    else ready.push(f);
  }
  if (ready.length > 0) await deps.queue.enqueue(ready.map((f) => f.event!));
  for (const f of ready) {
    await deps.failures.markReplayed(f, at);
    result.replayed.push({ id: f.id, eventId: f.event!.id });
  }
  return result;
}

/** Refused and given-up events, newest first: of one registry, or of all. */
export function listFailures(deps: Pick<FailureDeps, 'failures'>, registry: string | undefined, limit: number): Promise<FailureRecord[]> {
  return deps.failures.list(registry, limit);
}

import { z } from 'zod';
import { describeIssues } from './validation';
import { digestSchema } from './digest';
import { isManifestMediaType } from './mediaTypes';

/**
 * Registry notifications (ACR webhooks, CNCF Distribution envelopes) normalised into one
 * event shape. The same schema validates the queue message, because a message on the
 * queue is a boundary too (anyone with queue access can write one).
 */

/** OCI distribution-spec repository name grammar. */
export const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
export const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** A registry login server: host or host:port, lower case. */
export const LOGIN_SERVER = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/;

/**
 * Length limits: a DNS name is at most 253 characters; the distribution spec keeps a
 * repository within about 255 with its host (256 here); tags are at most 128 (the TAG
 * grammar). Keys built from these stay under Table Storage's 1 KiB even with every `/`
 * percent-encoded.
 */
export const MAX_REGISTRY_LENGTH = 253;
export const MAX_REPOSITORY_LENGTH = 256;
/** os/arch/variant, e.g. linux/arm64/v8. */
export const MAX_PLATFORM_LENGTH = 128;

const EventFields = {
  id: z.string().min(1).max(256),
  /** ISO 8601, millisecond precision, UTC. */
  timestamp: z.iso.datetime(),
  /** Who told us: a registry's notification, or the service's own listing of the registry (`backfill`, `reconcile`). */
  source: z.enum(['acr', 'distribution', 'eventgrid', 'backfill', 'reconcile']),
  /** Login server, lower case, e.g. `myregistry.azurecr.io` or `localhost:5443`. */
  registry: z.string().min(1).max(MAX_REGISTRY_LENGTH),
  repository: z.string().max(MAX_REPOSITORY_LENGTH, { abort: true }).regex(REPOSITORY, 'not a repository name'),
  tag: z.string().regex(TAG, 'not a tag').optional(),
  mediaType: z.string().max(256).optional(),
  /** When the webhook received the event. Messages queued before this field existed lack it. */
  receivedAt: z.iso.datetime().optional(),
  /** The sender's own time, kept when `timestamp` was replaced by the receive time (boundEventTime). */
  reportedTimestamp: z.iso.datetime().optional(),
  /** What `timestamp` is: absent for notifications (the push itself); see PushedAtSource. */
  pushedAtSource: z.enum(['registry', 'config', 'discovered']).optional(),
  /** The backfill or reconcile run that listed the event. */
  run: z.string().min(1).max(64).optional(),
};

/** A manifest pushed: always by digest. */
export const PushEventSchema = z.object({ ...EventFields, action: z.literal('push'), digest: digestSchema });
/** A manifest deleted, or without a digest the whole repository. */
export const DeleteEventSchema = z.object({ ...EventFields, action: z.literal('delete'), digest: digestSchema.optional() });
export const RegistryEventSchema = z.discriminatedUnion('action', [PushEventSchema, DeleteEventSchema]);
export type PushEvent = z.infer<typeof PushEventSchema>;
export type DeleteEvent = z.infer<typeof DeleteEventSchema>;
export type RegistryEvent = z.infer<typeof RegistryEventSchema>;

/**
 * Where a point's push time came from: the notification (`webhook`), the registry's own
 * tag time (`registry`, ACR), the image config's `created` (`config`), or the time the
 * service found the tag (`discovered`) when neither says.
 */
export type PushedAtSource = 'webhook' | NonNullable<RegistryEvent['pushedAtSource']>;

/** Events the service found by listing a registry; history, not news. */
export const isListed = (event: Pick<RegistryEvent, 'source'>): boolean => event.source === 'backfill' || event.source === 'reconcile';

/** How far ahead of the receive time a sender's clock may be: ordinary clock skew. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/**
 * How old an event may be when it arrives: Event Grid retries for 24 h and Distribution
 * keeps retrying an endpoint for as long as it is down, so a week covers real redeliveries.
 * EVENT_MAX_AGE_HOURS overrides it.
 */
export const DEFAULT_MAX_EVENT_AGE_HOURS = 7 * 24;

export interface BoundedTime {
  /** The time to record the event at. */
  timestamp: string;
  /** Present when `timestamp` is the receive time instead of the one reported. */
  reportedTimestamp?: string;
}

/**
 * The time an event is recorded at. A push stamped years ahead would stay the latest
 * point for ever and be the baseline of nothing; one stamped years back would rewrite
 * history. A reported time more than MAX_FUTURE_SKEW_MS after the receive time, or more
 * than `maxAgeMs` before it, is replaced by the receive time, and the reported one kept.
 */
export function boundEventTime(timestamp: string, receivedAt: string, maxAgeMs = DEFAULT_MAX_EVENT_AGE_HOURS * 3_600_000): BoundedTime {
  const reported = Date.parse(timestamp);
  const received = Date.parse(receivedAt);
  if (Number.isNaN(received)) throw new RangeError(`receivedAt "${receivedAt}" is not a time`);
  if (Number.isNaN(reported) || reported > received + MAX_FUTURE_SKEW_MS || reported < received - maxAgeMs) {
    return { timestamp: new Date(received).toISOString(), reportedTimestamp: timestamp };
  }
  return { timestamp };
}

/**
 * The event stamped with its receive time and bounded by it. Idempotent: an event bounded
 * once (by the webhook) keeps its first reportedTimestamp when bounded again (by the queue
 * trigger, for messages that reached the queue some other way).
 */
export function withReceiveTime(event: RegistryEvent, receivedAt: string, maxAgeMs?: number): RegistryEvent {
  const bounded = boundEventTime(event.timestamp, event.receivedAt ?? receivedAt, maxAgeMs);
  return {
    ...event,
    timestamp: bounded.timestamp,
    receivedAt: event.receivedAt ?? receivedAt,
    ...(event.reportedTimestamp || bounded.reportedTimestamp ? { reportedTimestamp: event.reportedTimestamp ?? bounded.reportedTimestamp } : {}),
  };
}

/**
 * An event read off the queue, where anyone with queue access could have written any
 * times: its claimed receive time is itself bounded by when the queue took the message,
 * then its event time by that.
 */
export function boundQueuedEvent(event: RegistryEvent, enqueuedAt: string, maxAgeMs?: number): RegistryEvent {
  const receivedAt = boundEventTime(event.receivedAt ?? enqueuedAt, enqueuedAt, maxAgeMs).timestamp;
  // A backfill's history is years old by design; only the future stays out of bounds (a
  // point stamped ahead would stay `latest` for good). An old time inserts history, which
  // is what a backfill is for.
  const age = event.source === 'backfill' ? Number.MAX_SAFE_INTEGER : maxAgeMs;
  return withReceiveTime({ ...event, receivedAt }, receivedAt, age);
}

/** Azure Queue Storage refuses messages over 64 KiB (after the host's base64 encoding). */
export const MAX_QUEUE_MESSAGE_BYTES = 64 * 1024;

/**
 * The queue message for an event: base64 of its JSON, as the Functions host decodes queue
 * messages by default (host.json messageEncoding). Every field of RegistryEventSchema is
 * bounded, so a valid event always fits; the check makes a schema change that breaks
 * that fail loudly instead of as a storage error a sender would retry forever.
 */
export function encodeEventMessage(event: RegistryEvent): string {
  const message = Buffer.from(JSON.stringify(event)).toString('base64');
  if (message.length > MAX_QUEUE_MESSAGE_BYTES)
    throw new RangeError(`event ${event.id} encodes to ${message.length} bytes, over the queue's ${MAX_QUEUE_MESSAGE_BYTES}`);
  return message;
}

export interface Ignored {
  id?: string;
  action: string;
  reason: string;
}

export interface NormalizedNotification {
  events: RegistryEvent[];
  ignored: Ignored[];
  /** ACR's portal "Ping" button. */
  ping: boolean;
}

export class InvalidNotificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidNotificationError';
  }
}

/**
 * Registries send RFC 3339 with nanoseconds ("…01.343145347Z") or offsets; keep
 * milliseconds in UTC so RowKeys built from it sort as time does.
 */
export function normalizeTimestamp(value: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(value.trim());
  if (!m) return undefined;
  const fraction = (m[2] ?? '').slice(0, 3).padEnd(3, '0');
  const ms = Date.parse(`${m[1]}.${fraction}${m[3]!.toUpperCase()}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function normalizeRegistryHost(host: string): string {
  return host.trim().toLowerCase().replace(/:443$/, '');
}

/** A delete naming a tag but no digest removes the tag only: the manifest and its bytes stay. */
const UNTAG_REASON = 'tag delete: the manifest and its storage remain';
function isUntag(action: string, target: { digest?: string; tag?: string }): boolean {
  return action === 'delete' && !target.digest && !!target.tag;
}

/** What ACR and Distribution both say of a push or delete, before it is checked. */
interface RawEvent {
  id: string;
  timestamp: string;
  action: 'push' | 'delete';
  host?: string;
  target: { repository?: string; digest?: string; tag?: string; mediaType?: string };
}

/**
 * The checks every registry's push and delete go through, and the event they make: the
 * registry must be named, the repository too, a push needs its digest, and a delete of a
 * tag alone changes no stored bytes (ignored).
 */
function eventFrom(raw: RawEvent, source: RegistryEvent['source'], where: string): { event: RegistryEvent } | { ignored: Ignored } {
  const prefix = where ? `${where}.` : '';
  if (!raw.host) throw new InvalidNotificationError(`${prefix}request.host: required to know which registry sent the event`);
  if (!raw.target.repository) throw new InvalidNotificationError(`${prefix}target.repository: required`);
  if (raw.action === 'push' && !raw.target.digest) throw new InvalidNotificationError(`${prefix}target.digest: required for push`);
  if (isUntag(raw.action, raw.target)) return { ignored: { id: raw.id, action: raw.action, reason: UNTAG_REASON } };
  const parsed = RegistryEventSchema.safeParse({
    id: raw.id,
    timestamp: timestampOf(raw.timestamp, where || 'event'),
    action: raw.action,
    source,
    registry: normalizeRegistryHost(raw.host),
    repository: raw.target.repository,
    ...(raw.target.digest ? { digest: raw.target.digest } : {}),
    ...(raw.target.tag ? { tag: raw.target.tag } : {}),
    ...(raw.target.mediaType ? { mediaType: raw.target.mediaType } : {}),
  });
  if (!parsed.success) throw new InvalidNotificationError(`${where || 'event'}: ${describeIssues(parsed.error, { root: '(body)' })}`);
  return { event: parsed.data };
}

function timestampOf(value: string, where: string): string {
  const ts = normalizeTimestamp(value);
  if (!ts) throw new InvalidNotificationError(`${where}.timestamp: "${value}" is not an RFC 3339 time`);
  return ts;
}

// ---------------------------------------------------------------- ACR webhooks

export const ACR_ACTIONS = ['push', 'delete', 'chart_push', 'chart_delete', 'quarantine', 'ping'] as const;
const ACR_UNTRACKED: Record<string, string> = {
  chart_push: 'Helm charts in ACR are not container images',
  chart_delete: 'Helm charts in ACR are not container images',
  quarantine: 'quarantine changes no stored bytes',
};

export const AcrWebhookSchema = z.object({
  id: z.string().min(1),
  timestamp: z.string(),
  action: z.string(),
  target: z
    .object({
      mediaType: z.string().optional(),
      size: z.number().optional(),
      digest: z.string().optional(),
      length: z.number().optional(),
      repository: z.string().optional(),
      tag: z.string().optional(),
    })
    .optional(),
  request: z.object({ id: z.string().optional(), host: z.string().optional() }).optional(),
});

export function normalizeAcrWebhook(body: unknown): NormalizedNotification {
  const parsed = AcrWebhookSchema.safeParse(body);
  if (!parsed.success) throw new InvalidNotificationError(`not an ACR webhook payload: ${describeIssues(parsed.error, { root: '(body)' })}`);
  const p = parsed.data;
  if (!(ACR_ACTIONS as readonly string[]).includes(p.action)) {
    throw new InvalidNotificationError(`unknown action "${p.action}"; ACR sends one of ${ACR_ACTIONS.join(', ')}`);
  }
  if (p.action === 'ping') return { events: [], ignored: [{ id: p.id, action: 'ping', reason: 'ping' }], ping: true };
  const untracked = ACR_UNTRACKED[p.action];
  if (untracked) return { events: [], ignored: [{ id: p.id, action: p.action, reason: untracked }], ping: false };

  const made = eventFrom(
    { id: p.id, timestamp: p.timestamp, action: p.action as 'push' | 'delete', ...(p.request?.host ? { host: p.request.host } : {}), target: p.target ?? {} },
    'acr',
    '',
  );
  return 'event' in made ? { events: [made.event], ignored: [], ping: false } : { events: [], ignored: [made.ignored], ping: false };
}

// ------------------------------------------------- CNCF Distribution notifications

export const DistributionEventSchema = z.object({
  id: z.string().min(1),
  timestamp: z.string(),
  action: z.string(),
  target: z.object({
    mediaType: z.string().optional(),
    digest: z.string().optional(),
    repository: z.string().optional(),
    url: z.string().optional(),
    tag: z.string().optional(),
  }),
  request: z.object({ host: z.string().optional() }).optional(),
});

const DistributionEnvelopeSchema = z.object({ events: z.array(z.unknown()).max(1000) });

export const DISTRIBUTION_ACTIONS = ['push', 'pull', 'delete', 'mount'] as const;

export function normalizeDistributionEnvelope(body: unknown): NormalizedNotification {
  const envelope = DistributionEnvelopeSchema.safeParse(body);
  if (!envelope.success) throw new InvalidNotificationError(`not a Distribution notification envelope: ${describeIssues(envelope.error, { root: '(body)' })}`);
  const events: RegistryEvent[] = [];
  const ignored: Ignored[] = [];
  envelope.data.events.forEach((raw, i) => {
    const where = `events[${i}]`;
    const parsed = DistributionEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidNotificationError(`${where}: ${describeIssues(parsed.error, { root: '(body)' })}`);
    const e = parsed.data;
    if (!(DISTRIBUTION_ACTIONS as readonly string[]).includes(e.action)) {
      throw new InvalidNotificationError(`${where}.action: unknown action "${e.action}"; expected one of ${DISTRIBUTION_ACTIONS.join(', ')}`);
    }
    if (e.action === 'pull' || e.action === 'mount') {
      ignored.push({ id: e.id, action: e.action, reason: `${e.action} events change no stored image` });
      return;
    }
    // Distribution also announces every blob upload as a push; only manifests are images.
    const isManifest = isManifestMediaType(e.target.mediaType) || (e.target.url?.includes('/manifests/') ?? false);
    if (e.action === 'push' && !isManifest) {
      ignored.push({ id: e.id, action: e.action, reason: 'blob event' });
      return;
    }
    if (e.action === 'delete' && e.target.url?.includes('/blobs/')) {
      ignored.push({ id: e.id, action: e.action, reason: 'blob event' });
      return;
    }
    const made = eventFrom(
      { id: e.id, timestamp: e.timestamp, action: e.action as 'push' | 'delete', ...(e.request?.host ? { host: e.request.host } : {}), target: e.target },
      'distribution',
      where,
    );
    if ('event' in made) events.push(made.event);
    else ignored.push(made.ignored);
  });
  return { events, ignored, ping: false };
}

// --------------------------------------------------- Event Grid (ACR system topic)

/** Event Grid's own event that a new subscription's endpoint must answer with its code. */
export const EVENT_GRID_VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';

const EVENT_GRID_TYPES: Record<string, 'push' | 'delete' | { ignore: string }> = {
  'Microsoft.ContainerRegistry.ImagePushed': 'push',
  'Microsoft.ContainerRegistry.ImageDeleted': 'delete',
  'Microsoft.ContainerRegistry.ChartPushed': { ignore: 'Helm charts in ACR are not container images' },
  'Microsoft.ContainerRegistry.ChartDeleted': { ignore: 'Helm charts in ACR are not container images' },
};

export const EventGridEventSchema = z.object({
  id: z.string().min(1),
  eventType: z.string().min(1),
  eventTime: z.string(),
  subject: z.string().optional(),
  topic: z.string().optional(),
  data: z.unknown(),
});
const EventGridBatchSchema = z.array(z.unknown()).min(1).max(5000);

/** The validation code when `body` is Event Grid's subscription validation request. */
export function eventGridValidationCode(body: unknown): string | undefined {
  const batch = EventGridBatchSchema.safeParse(body);
  if (!batch.success) return undefined;
  const first = batch.data[0] as { eventType?: unknown; data?: { validationCode?: unknown } } | null;
  return first?.eventType === EVENT_GRID_VALIDATION && typeof first.data?.validationCode === 'string' ? first.data.validationCode : undefined;
}

/** Maps one Event Grid or CloudEvents event of an ACR system topic to our events. */
function fromSystemTopic(where: string, e: { id: string; type: string; time: string; data: unknown }, events: RegistryEvent[], ignored: Ignored[]): void {
  const kind = EVENT_GRID_TYPES[e.type];
  if (!kind) {
    ignored.push({ id: e.id, action: e.type, reason: 'event type not tracked' });
    return;
  }
  if (typeof kind === 'object') {
    ignored.push({ id: e.id, action: e.type, reason: kind.ignore });
    return;
  }
  const data = (e.data ?? {}) as Record<string, unknown>;
  let inner: NormalizedNotification;
  try {
    inner = normalizeAcrWebhook({ timestamp: e.time, ...data, id: e.id, action: kind });
  } catch (err) {
    throw new InvalidNotificationError(`${where}.data: ${(err as Error).message}`);
  }
  events.push(...inner.events.map((ev) => ({ ...ev, source: 'eventgrid' as const })));
  ignored.push(...inner.ignored);
}

/**
 * Event Grid schema batches from an ACR system topic. `data` has the ACR webhook shape
 * (plus url, addr, actor, source), so each event goes through the ACR normaliser.
 * Delivery is at least once: duplicates are expected and harmless downstream.
 */
export function normalizeEventGrid(body: unknown): NormalizedNotification {
  const batch = EventGridBatchSchema.safeParse(body);
  if (!batch.success)
    throw new InvalidNotificationError(`not an Event Grid event batch (a JSON array of events): ${describeIssues(batch.error, { root: '(body)' })}`);
  const events: RegistryEvent[] = [];
  const ignored: Ignored[] = [];
  batch.data.forEach((raw, i) => {
    const where = `[${i}]`;
    const parsed = EventGridEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidNotificationError(`${where}: ${describeIssues(parsed.error, { root: '(body)' })}`);
    const e = parsed.data;
    fromSystemTopic(where, { id: e.id, type: e.eventType, time: e.eventTime, data: e.data }, events, ignored);
  });
  return { events, ignored, ping: false };
}

// ------------------------------------------------------- CloudEvents 1.0 (Event Grid)

/** CloudEvents 1.0 JSON format (structured mode): the attributes Event Grid sends. */
export const CloudEventSchema = z.object({
  specversion: z.literal('1.0', { error: 'must be "1.0" (CloudEvents 1.0)' }),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  time: z.string().optional(),
  subject: z.string().optional(),
  datacontenttype: z.string().optional(),
  data: z.unknown(),
});

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';
export const CLOUDEVENTS_BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

/**
 * CloudEvents 1.0 from an Event Grid subscription with that delivery schema: one event in
 * structured mode, or a batch (a JSON array). `time` is optional in CloudEvents; without
 * it the receive time stands in (the webhook stamps it).
 */
export function normalizeCloudEvents(body: unknown, batch: boolean): NormalizedNotification {
  if (batch && !Array.isArray(body)) throw new InvalidNotificationError(`a ${CLOUDEVENTS_BATCH_CONTENT_TYPE} body must be a JSON array of events`);
  if (!batch && Array.isArray(body))
    throw new InvalidNotificationError(`a ${CLOUDEVENTS_CONTENT_TYPE} body is one event; send a batch as ${CLOUDEVENTS_BATCH_CONTENT_TYPE}`);
  const list = EventGridBatchSchema.safeParse(batch ? body : [body]);
  if (!list.success) throw new InvalidNotificationError(`not a CloudEvents batch: ${describeIssues(list.error, { root: '(body)' })}`);
  const events: RegistryEvent[] = [];
  const ignored: Ignored[] = [];
  list.data.forEach((raw, i) => {
    const where = batch ? `[${i}]` : '(event)';
    const parsed = CloudEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidNotificationError(`${where}: ${describeIssues(parsed.error, { root: '(body)' })}`);
    const e = parsed.data;
    fromSystemTopic(where, { id: e.id, type: e.type, time: e.time ?? new Date().toISOString(), data: e.data }, events, ignored);
  });
  return { events, ignored, ping: false };
}

/** Which schema an Event Grid delivery uses: the content type says, or a lone object carrying `specversion`. */
export function normalizeEventGridDelivery(body: unknown, contentType: string | null): NormalizedNotification {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === CLOUDEVENTS_BATCH_CONTENT_TYPE) return normalizeCloudEvents(body, true);
  if (type === CLOUDEVENTS_CONTENT_TYPE) return normalizeCloudEvents(body, false);
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'specversion' in body) return normalizeCloudEvents(body, false);
  return normalizeEventGrid(body);
}

import { EventQueue } from './adapters/eventQueue';
import { FailureTable } from './adapters/tables/failureTable';
import { DEFAULT_STORAGE_RETRY } from './adapters/storage';
import { RegistryClient } from './adapters/registry';
import { AlertTable } from './adapters/tables/alertTable';
import { BlobTable } from './adapters/tables/blobTable';
import { ContentTable } from './adapters/tables/contentTable';
import { ImageTable } from './adapters/tables/imageTable';
import { PointTable } from './adapters/tables/pointTable';
import { PolicyTable } from './adapters/tables/policyTable';
import { RepositoryTable } from './adapters/tables/repositoryTable';
import { Tables } from './adapters/tables/tables';
import { postToTeams } from './adapters/teams';
import { WorkQueue } from './adapters/workQueue';
import { LayerIndexBlobs } from './adapters/layerIndexBlobs';
import { LayerTable } from './adapters/tables/layerTable';
import { getConfig, signInSettings, type Config } from './config';
import { EntraTokens } from './adapters/entraTokens';
import type { AlertRef } from './core/alertMessages';
import { effectivePolicy, type EffectivePolicy, type PolicyDefaults } from './core/policy';
import { routeProblem } from './core/teamsRoute';
import type { PointEstimates, PointRef } from './core/trend';
import { ALERTS_QUEUE, CONTENT_QUEUE, DELIVERIES_QUEUE, EVENTS_POISON_QUEUE, LAYERS_QUEUE, LISTING_QUEUE } from './names';
import { RateGate } from './adapters/tables/rateTable';
import { RunTable } from './adapters/tables/runTable';
import { CatalogPool, catalogFor } from './adapters/catalog/catalogFor';
import type { ListingDeps, ListingUnit } from './services/listing';
import { trackedRepositories } from './services/queries';
import { contentSubjectOf, type ContentRequest, type LayerWork } from './core/contentAnalysis';
import type { PlatformImage } from './core/sizing';
import { Slots, type ContentDeps } from './services/contentAnalysis';
import { RouteSlots, type DeliveryDeps, type EvaluationDeps } from './services/alerts';
import type { FailureDeps } from './services/failures';
import type { PolicyDeps, PolicyStore } from './services/policies';
import { CachedPolicies } from './services/policyCache';
import { CachedContent } from './services/contentCache';
import { ContentResolver, storedOnly, type ContentStore } from './services/contentResolver';
import { estimateContext, pointEstimator, type EstimateContext } from './services/estimates';
import type { EstimateInput } from './services/ingest';

/** The composition root: every adapter, built once per process from the validated config. */
export interface Runtime {
  config: Config;
  queue: EventQueue;
  registry: RegistryClient;
  content: ContentStore;
  images: ImageTable;
  points: PointTable;
  repositories: RepositoryTable;
  blobs: BlobTable;
  policies: PolicyStore;
  alerts: AlertTable;
  failures: FailureTable;
  poison: WorkQueue<unknown>;
  failureDeps: FailureDeps;
  estimates: EstimateContext;
  estimate: (input: EstimateInput) => PointEstimates;
  policyDefaults: PolicyDefaults;
  policyDeps: PolicyDeps;
  policyFor: (registry: string, repository: string) => Promise<EffectivePolicy>;
  /** Points waiting for their alert evaluation (ALERTS_QUEUE). */
  evaluations: WorkQueue<PointRef>;
  /** Alerts waiting for a delivery attempt (DELIVERIES_QUEUE). */
  deliveries: WorkQueue<AlertRef>;
  evaluationDeps: EvaluationDeps;
  deliveryDeps: DeliveryDeps;
  /** Ingest calls this for each point stored, re-described or re-delivered: queues its evaluation. */
  onPoint: (ref: PointRef) => Promise<void>;
  layers: LayerTable;
  contentDeps: ContentDeps;
  /** Ingest calls this for each platform image it has no record of: queues the reading of its layers (LAYER_ANALYSIS). */
  onNewImage?: (registry: string, repository: string, image: PlatformImage, listed: boolean) => Promise<void>;
  runs: RunTable;
  /** The registry as backfill and reconcile events read it: under BACKFILL_REQUESTS_PER_SECOND, shared by every instance. */
  listedRegistry: RegistryClient;
  listingDeps: ListingDeps;
  /** Entra ID access tokens, checked on the read and write APIs; undefined when sign-in is off. */
  signIn?: EntraTokens;
}

export function policyDefaults(config: Config): PolicyDefaults {
  return {
    growthPercent: config.ALERT_GROWTH_PERCENT,
    growthBytes: config.ALERT_GROWTH_BYTES,
    layerBytes: config.ALERT_LAYER_BYTES,
    coldStartSeconds: config.ALERT_COLD_START_SECONDS,
    budgetBytes: config.ALERT_SIZE_BUDGET_BYTES,
    baselineMode: config.BASELINE_MODE,
    muted: false,
    improvements: config.ALERT_IMPROVEMENTS,
    findingBytes: config.ALERT_FINDING_BYTES,
    // Off unless a policy sets them, like dive's CI gates.
    minEfficiency: null,
    wastedBytes: null,
    wastedPercent: null,
    newFinding: false,
  };
}

let current: Runtime | undefined;

const refuse = async (): Promise<never> => {
  throw new Error('no blob endpoint (AzureWebJobsStorage__blobServiceUri): layer file indexes cannot be read or written');
};

export function getRuntime(): Runtime {
  if (current) return current;
  const config = getConfig();
  const storageRetry = { ...DEFAULT_STORAGE_RETRY, tryTimeoutMs: config.STORAGE_TRY_TIMEOUT_MS, maxTries: config.STORAGE_MAX_TRIES };
  const tables = new Tables(config.storage, storageRetry);
  const estimates = estimateContext(config);
  const cacheMs = config.CACHE_SECONDS * 1000;
  const policies = new CachedPolicies(new PolicyTable(tables), cacheMs);
  const alerts = new AlertTable(tables);
  const failures = new FailureTable(tables);
  const queue = new EventQueue(config.storage, undefined, storageRetry);
  const images = new ImageTable(tables);
  const repositories = new RepositoryTable(tables);
  const defaults = policyDefaults(config);
  const evaluations = new WorkQueue<PointRef>(config.storage, ALERTS_QUEUE);
  const deliveries = new WorkQueue<AlertRef>(config.storage, DELIVERIES_QUEUE);
  const content = new CachedContent(new ContentTable(tables));
  const points = new PointTable(tables);
  const policyFor = async (registry: string, repository: string) => effectivePolicy(defaults, repository, await policies.list(registry));
  // The worker forwards console output to the function logs.
  const log = (level: 'info' | 'warn', message: string) => (level === 'warn' ? console.warn(message) : console.info(message));
  const teamsTimeoutMs = config.TEAMS_TIMEOUT_SECONDS * 1000;
  const layers = new LayerTable(tables);
  // Identity-based storage may have no blob endpoint when analysis is off (config requires one when on).
  const blobReachable = config.storage.kind === 'connectionString' || config.storage.blobServiceUri !== undefined;
  const layerIndexes = blobReachable ? new LayerIndexBlobs(config.storage) : { put: refuse, get: refuse };
  const contentRequests = new WorkQueue<ContentRequest>(config.storage, CONTENT_QUEUE);
  const layerWork = new WorkQueue<LayerWork>(config.storage, LAYERS_QUEUE);
  const registry = new RegistryClient({ timeoutMs: config.REGISTRY_TIMEOUT_MS, maxRetries: config.REGISTRY_MAX_RETRIES });
  const rateGate = new RateGate(tables, { limit: config.BACKFILL_REQUESTS_PER_SECOND });
  const listedRegistry = new RegistryClient({ timeoutMs: config.REGISTRY_TIMEOUT_MS, maxRetries: config.REGISTRY_MAX_RETRIES, gate: rateGate });
  const runs = new RunTable(tables);
  const signIn = signInSettings(config);
  const catalogs = new CatalogPool((registry, onRequest) => catalogFor(registry, { gate: rateGate, onRequest, timeoutMs: config.REGISTRY_TIMEOUT_MS }));
  current = {
    config,
    queue,
    registry,
    content,
    images,
    points,
    repositories,
    blobs: new BlobTable(tables, { totalMaxAgeMs: cacheMs }),
    policies,
    alerts,
    failures,
    poison: new WorkQueue<unknown>(config.storage, EVENTS_POISON_QUEUE),
    failureDeps: { failures, images, repositories, queue, allowedRegistries: config.ALLOWED_REGISTRIES },
    estimates,
    estimate: pointEstimator(estimates),
    policyDefaults: defaults,
    policyDeps: { policies, policyDefaults: defaults, routeProblem: (url) => routeProblem(url, config) },
    policyFor,
    evaluations,
    deliveries,
    evaluationDeps: {
      alerts,
      estimates,
      ...(config.TEAMS_WEBHOOK_URL ? { teamsWebhookUrl: config.TEAMS_WEBHOOK_URL } : {}),
      ...(config.PUBLIC_BASE_URL ? { publicBaseUrl: config.PUBLIC_BASE_URL } : {}),
      points,
      content,
      policyFor,
      deliveries,
      log,
      ...(config.LAYER_ANALYSIS ? { contentSources: { layers, indexes: layerIndexes, waitMs: config.ALERT_CONTENT_WAIT_SECONDS * 1000 }, evaluations } : {}),
    },
    deliveryDeps: {
      alerts,
      deliveries,
      maxAttempts: config.ALERT_MAX_ATTEMPTS,
      retryBaseMs: config.ALERT_RETRY_BASE_SECONDS * 1000,
      leaseMs: teamsTimeoutMs + 60_000,
      routeProblem: (url) => routeProblem(url, config),
      post: (url, message) => postToTeams(url, message, teamsTimeoutMs),
      // Two per route: one slow flow holds at most two of an instance's delivery slots.
      slots: new RouteSlots(2),
      log,
    },
    onPoint: (ref) => evaluations.send(ref, config.ALERT_SETTLE_SECONDS),
    layers,
    contentDeps: {
      store: layers,
      indexes: layerIndexes,
      source: registry,
      subjectOf: async (registry, repository, digest) => {
        // Stored by ingest before it asked: read from the table, never from the registry.
        const resolver = new ContentResolver(content, storedOnly, registry, repository);
        const manifest = await resolver.manifest(digest);
        return manifest.kind === 'image' ? contentSubjectOf(await resolver.platformImage(digest, manifest)) : undefined;
      },
      sendLayer: (work) => layerWork.send(work),
      listedSource: listedRegistry,
      limits: { maxBytes: config.LAYER_ANALYSIS_MAX_BYTES, maxFiles: config.LAYER_ANALYSIS_MAX_FILES },
      slots: new Slots(config.LAYER_ANALYSIS_CONCURRENCY),
      savingsModels: (registry) => ({ profile: estimates.profile(registry), prices: estimates.prices, pullModel: estimates.pullModel }),
    },
    runs,
    listedRegistry,
    ...(signIn ? { signIn: new EntraTokens(signIn) } : {}),
    listingDeps: {
      runs,
      catalogFor: (registry, counted) => catalogs.for(registry, counted),
      events: queue,
      units: new WorkQueue<ListingUnit>(config.storage, LISTING_QUEUE),
      content,
      recorded: (registry, repository) => points.recorded(registry, repository),
      tracked: (registry) => trackedRepositories(repositories, registry),
      allowedRegistries: config.ALLOWED_REGISTRIES,
    },
    ...(config.LAYER_ANALYSIS
      ? {
          onNewImage: (registry: string, repository: string, image: PlatformImage, listed: boolean) =>
            contentRequests.send({ registry, repository, digest: image.digest, ...(listed ? { listed: true as const } : {}) }),
        }
      : {}),
  };
  return current;
}

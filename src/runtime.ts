import { EventQueue } from './adapters/eventQueue';
import { PoisonQueue } from './adapters/poisonQueue';
import { FailureTable } from './adapters/tables/failureTable';
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
import { getConfig, type Config } from './config';
import { effectivePolicy, type EffectivePolicy, type PolicyDefaults } from './core/policy';
import type { PointEstimates, PointRef } from './core/trend';
import { diffImages } from './core/layerDiff';
import { ContentResolver } from './services/contentResolver';
import { imageLoader } from './services/push';
import { deliver, raiseAlert, type AlertDeps } from './services/alerts';
import type { FailureDeps } from './services/failures';
import { estimateContext, pointEstimator, type EstimateContext } from './services/estimates';
import type { EstimateInput } from './services/ingest';

/** The composition root: every adapter, built once per process from the validated config. */
export interface Runtime {
  config: Config;
  queue: EventQueue;
  registry: RegistryClient;
  content: ContentTable;
  images: ImageTable;
  points: PointTable;
  repositories: RepositoryTable;
  blobs: BlobTable;
  policies: PolicyTable;
  alerts: AlertTable;
  failures: FailureTable;
  poison: PoisonQueue;
  failureDeps: FailureDeps;
  estimates: EstimateContext;
  estimate: (input: EstimateInput) => PointEstimates;
  policyDefaults: PolicyDefaults;
  policyFor: (registry: string, repository: string) => Promise<EffectivePolicy>;
  alertDeps: AlertDeps;
  onPoint: (ref: PointRef) => Promise<void>;
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
  };
}

let current: Runtime | undefined;

export function getRuntime(): Runtime {
  if (current) return current;
  const config = getConfig();
  const tables = new Tables(config.storage);
  const estimates = estimateContext(config);
  const policies = new PolicyTable(tables);
  const alerts = new AlertTable(tables);
  const failures = new FailureTable(tables);
  const queue = new EventQueue(config.storage);
  const images = new ImageTable(tables);
  const repositories = new RepositoryTable(tables);
  const defaults = policyDefaults(config);
  const alertDeps: AlertDeps = {
    alerts,
    estimates,
    ...(config.TEAMS_WEBHOOK_URL ? { teamsWebhookUrl: config.TEAMS_WEBHOOK_URL } : {}),
    ...(config.PUBLIC_BASE_URL ? { publicBaseUrl: config.PUBLIC_BASE_URL } : {}),
    maxAttempts: config.ALERT_MAX_ATTEMPTS,
    inlineRetries: config.ALERT_INLINE_RETRIES,
    retryBaseMs: config.ALERT_RETRY_BASE_SECONDS * 1000,
    post: (url, message) => postToTeams(url, message),
    // The worker forwards console output to the function logs.
    log: (level, message) => (level === 'warn' ? console.warn(message) : console.info(message)),
  };
  current = {
    config,
    queue,
    registry: new RegistryClient({ timeoutMs: config.REGISTRY_TIMEOUT_MS, maxRetries: config.REGISTRY_MAX_RETRIES }),
    content: new ContentTable(tables),
    images,
    points: new PointTable(tables),
    repositories,
    blobs: new BlobTable(tables),
    policies,
    alerts,
    failures,
    poison: new PoisonQueue(config.storage),
    failureDeps: { failures, images, repositories, queue, allowedRegistries: config.ALLOWED_REGISTRIES },
    estimates,
    estimate: pointEstimator(estimates),
    policyDefaults: defaults,
    policyFor: async (registry, repository) => effectivePolicy(defaults, repository, await policies.list(registry)),
    alertDeps,
    onPoint: async (ref) => {
      const rt = current!;
      const point = await rt.points.get(ref);
      if (!point) return;
      const load = imageLoader(new ContentResolver(rt.content, rt.registry, ref.registry, ref.repository));
      const image = await load(point.digest, point.platform);
      if (!image) return;
      const baseline = point.baselineDigest ? await load(point.baselineDigest, point.platform) : undefined;
      const policy = await rt.policyFor(ref.registry, ref.repository);
      const alert = await raiseAlert(alertDeps, { registry: ref.registry, repository: ref.repository, point, image, policy, ...(baseline ? { baseline, diff: diffImages(baseline, image) } : {}) });
      if (alert) await deliver(alertDeps, alert);
    },
  };
  return current;
}

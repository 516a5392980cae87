import { EventQueue } from './adapters/eventQueue';
import { RegistryClient } from './adapters/registry';
import { BlobTable } from './adapters/tables/blobTable';
import { ContentTable } from './adapters/tables/contentTable';
import { ImageTable } from './adapters/tables/imageTable';
import { PointTable } from './adapters/tables/pointTable';
import { RepositoryTable } from './adapters/tables/repositoryTable';
import { Tables } from './adapters/tables/tables';
import { getConfig, type Config } from './config';
import type { PointEstimates } from './core/trend';
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
  baselineMode: Config['BASELINE_MODE'];
  estimates: EstimateContext;
  estimate: (input: EstimateInput) => PointEstimates;
}

let current: Runtime | undefined;

export function getRuntime(): Runtime {
  if (!current) {
    const config = getConfig();
    const tables = new Tables(config.storage);
    const estimates = estimateContext(config);
    current = {
      config,
      queue: new EventQueue(config.storage),
      registry: new RegistryClient({ timeoutMs: config.REGISTRY_TIMEOUT_MS, maxRetries: config.REGISTRY_MAX_RETRIES }),
      content: new ContentTable(tables),
      images: new ImageTable(tables),
      points: new PointTable(tables),
      repositories: new RepositoryTable(tables),
      blobs: new BlobTable(tables),
      baselineMode: config.BASELINE_MODE,
      estimates,
      estimate: pointEstimator(estimates),
    };
  }
  return current;
}

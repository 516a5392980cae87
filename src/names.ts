/**
 * Storage resource names shared by the function registrations and the adapters.
 * One prefix keeps this app's tables and queues apart from the Functions host's own
 * (`azure-webjobs-*`, `AzureFunctions*`) in the same account.
 */
export const EVENTS_QUEUE = 'acrsize-events';
/** Where the host moves an event after its last attempt, and where the trigger sends what it refuses. */
export const EVENTS_POISON_QUEUE = `${EVENTS_QUEUE}-poison`;
/** Points whose alert rules are to run, each after the settle delay (ALERT_SETTLE_SECONDS). */
export const ALERTS_QUEUE = 'acrsize-alerts';
/** Outbox alerts to attempt once each; a retry is a new message, hidden for the back-off. */
export const DELIVERIES_QUEUE = 'acrsize-deliveries';

/** Platform images whose layers are to be read and whose filesystem is to be composed. */
export const CONTENT_QUEUE = 'acrsize-content';
/** One layer blob to read, so instances read the layers of one image in parallel. */
export const LAYERS_QUEUE = 'acrsize-layers';
/** Layers whose every attempt failed: recorded as not analyzed, so the images waiting on them are composed. */
export const LAYERS_POISON_QUEUE = `${LAYERS_QUEUE}-poison`;
/** Backfill and reconcile units: a run's catalog listing, or one repository's tags. */
export const LISTING_QUEUE = 'acrsize-listing';
/** Units whose every attempt failed: recorded on their run, so it ends instead of waiting for them. */
export const LISTING_POISON_QUEUE = `${LISTING_QUEUE}-poison`;
/** Blob container of layer file indexes (one gzip'd NDJSON blob per registry and layer digest). */
export const LAYER_INDEX_CONTAINER = 'acrsize-layers';

export const TABLES = {
  content: 'acrsizeContent',
  images: 'acrsizeImages',
  points: 'acrsizePoints',
  repositories: 'acrsizeRepositories',
  blobs: 'acrsizeBlobs',
  policies: 'acrsizePolicies',
  alerts: 'acrsizeAlerts',
  failures: 'acrsizeFailures',
  layers: 'acrsizeLayers',
  rates: 'acrsizeRates',
  runs: 'acrsizeRuns',
} as const;

/** The Functions connection name of the storage account used by triggers and adapters. */
export const STORAGE_CONNECTION = 'AzureWebJobsStorage';

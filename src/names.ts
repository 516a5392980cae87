/**
 * Storage resource names shared by the function registrations and the adapters.
 * One prefix keeps this app's tables and queues apart from the Functions host's own
 * (`azure-webjobs-*`, `AzureFunctions*`) in the same account.
 */
export const EVENTS_QUEUE = 'acrsize-events';
/** Where the host moves an event after its last attempt, and where the trigger sends what it refuses. */
export const EVENTS_POISON_QUEUE = `${EVENTS_QUEUE}-poison`;

export const TABLES = {
  content: 'acrsizeContent',
  images: 'acrsizeImages',
  points: 'acrsizePoints',
  repositories: 'acrsizeRepositories',
  blobs: 'acrsizeBlobs',
  policies: 'acrsizePolicies',
  alerts: 'acrsizeAlerts',
  failures: 'acrsizeFailures',
} as const;

/** The Functions connection name of the storage account used by triggers and adapters. */
export const STORAGE_CONNECTION = 'AzureWebJobsStorage';

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

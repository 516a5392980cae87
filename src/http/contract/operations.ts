import { alertsOperation } from './alerts';
import { backfillOperations } from './backfill';
import { compareOperation } from './compare';
import { openApiOperation } from './document';
import { estimateOperation } from './estimate';
import { failureOperations } from './failures';
import { filesOperation } from './files';
import { imageOperation } from './image';
import type { Operation } from './operation';
import { policyOperations } from './policy';
import { repositoriesOperation } from './repositories';
import { storageOperation } from './storage';
import { trendOperation } from './trend';
import { uiOperation } from './ui';
import { webhookOperations } from './webhooks';

/** Every HTTP operation the app serves, in the order the document lists them. */
export const OPERATIONS: readonly Operation[] = [
  ...webhookOperations,
  trendOperation,
  repositoriesOperation,
  imageOperation,
  filesOperation,
  compareOperation,
  estimateOperation,
  storageOperation,
  ...backfillOperations,
  alertsOperation,
  ...policyOperations,
  ...failureOperations,
  openApiOperation,
  uiOperation,
];

/** The document's tags, each operation's `tag` among them. */
export const TAGS: readonly { name: string; description: string }[] = [
  { name: 'Webhooks', description: "Registries' notifications of pushes and deletes, authenticated with the `WEBHOOK_SECRET` Bearer token." },
  { name: 'Trends', description: 'Size trends of repositories, point by point, and the repositories tracked.' },
  { name: 'Images', description: 'Stored images: their platforms and layers, their files, comparisons and estimates.' },
  { name: 'Registry', description: 'A registry as a whole: its storage and cost, and the backfill and reconcile runs that list it.' },
  { name: 'Alerts', description: 'Alert history and the per-repository policies alerts are decided by.' },
  { name: 'Failures', description: 'Events the service gave up on, and their replay.' },
  { name: 'Service', description: 'This document and the dashboard.' },
];

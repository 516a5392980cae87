import type { PushEvent } from '../../src/core/events';

/** A valid queued push event, for tests that need one and do not care which. */
export const samplePush: PushEvent = {
  id: 'e1',
  timestamp: '2026-11-27T10:00:00.000Z',
  action: 'push',
  source: 'acr',
  registry: 'r.azurecr.io',
  repository: 'team/app',
  digest: 'sha256:' + 'a'.repeat(64),
  tag: 'v1',
};

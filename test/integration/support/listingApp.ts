/**
 * The app as backfill and reconcile tests need it: a second name for the same registry (a
 * second proxy, tracked by the app as another registry, to compare two ways in), a Teams
 * stand-in, and rules that fire on every tag's growth.
 */
import { startApp, type AppUnderTest } from './app';
import { startRegistryProxy, type RegistryProxy } from './proxy';
import { startReceiver, type Receiver } from './receiver';
import { freePort } from './wait';

export interface ListingApp {
  app: AppUnderTest;
  /** The same registry under a second login server. */
  second: RegistryProxy;
  teams: Receiver;
  stop(): Promise<void>;
}

export async function startListingApp(env: Record<string, string>): Promise<ListingApp> {
  const port = await freePort();
  const second = await startRegistryProxy(`https://localhost:${port}`);
  const teams = await startReceiver();
  teams.setDefault({ status: 202, body: '' });
  const app = await startApp({
    registry: { port },
    allowedExtra: [second.loginServer],
    env: {
      LAYER_ANALYSIS: 'false',
      BACKFILL_REQUESTS_PER_SECOND: '500',
      TEAMS_WEBHOOK_URL: `${teams.url}/workflows/default?api-version=1&sig=SIG`,
      TEAMS_ALLOWED_HOSTS: `127.0.0.1:${teams.port}`,
      ALERT_SETTLE_SECONDS: '0',
      // Every tag grows by ~500 bytes: each later tag is a growth alert.
      ALERT_GROWTH_PERCENT: '1',
      ALERT_GROWTH_BYTES: '100',
      ALERT_IMPROVEMENTS: 'false',
      ALERT_FINDING_BYTES: '0',
      ...env,
    },
  });
  return {
    app,
    second,
    teams,
    stop: async () => {
      await app.stop();
      await second.stop();
      await teams.stop();
    },
  };
}

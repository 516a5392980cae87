import { app, type InvocationContext } from '@azure/functions';
import { parseMessage } from '../core/alertMessages';
import { LISTING_POISON_QUEUE, LISTING_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { abandonUnit, ListingUnitSchema, runUnit } from '../services/listing';

// One step of a backfill or reconcile: a catalog page, or a repository's tags.
app.storageQueue('listingUnit', {
  queueName: LISTING_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    const unit = parseMessage(ListingUnitSchema, message, runtime.config.ALLOWED_REGISTRIES, 'a listing unit');
    const what = `${unit.kind} ${unit.run} of ${unit.registry}: ${unit.step === 'catalog' ? 'catalog' : unit.repository}`;
    try {
      context.info(`${what}: ${await runUnit(runtime.listingDeps, unit)}`);
    } catch (e) {
      context.warn(`${what}: attempt ${Number(context.triggerMetadata?.dequeueCount ?? 1)} failed, the queue will retry: ${(e as Error).message}`);
      throw e;
    }
  },
});

// After the last attempt the run records why, so it ends (failed, or done without that repository) instead of waiting.
app.storageQueue('abandonListingUnit', {
  queueName: LISTING_POISON_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    const unit = parseMessage(ListingUnitSchema, message, runtime.config.ALLOWED_REGISTRIES, 'a listing unit');
    await abandonUnit(runtime.listingDeps, unit, 'every attempt failed (see the function logs)');
    context.warn(`${unit.kind} ${unit.run} of ${unit.registry}: ${unit.step === 'catalog' ? 'catalog' : unit.repository} abandoned`);
  },
});

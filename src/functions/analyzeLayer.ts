import { app, type InvocationContext } from '@azure/functions';
import { parseMessage } from '../core/alertMessages';
import { LayerMessage } from '../core/contentAnalysis';
import { LAYERS_POISON_QUEUE, LAYERS_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { abandonLayer, analyzeLayer } from '../services/contentAnalysis';

// One layer blob: streamed from the registry and its tar headers indexed, once per registry and digest.
app.storageQueue('analyzeLayer', {
  queueName: LAYERS_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    const work = parseMessage(LayerMessage, message, runtime.config.ALLOWED_REGISTRIES, 'a layer to analyze');
    const attempt = Number(context.triggerMetadata?.dequeueCount ?? 1);
    const what = `layer ${work.registry}/${work.repository}@${work.layer.digest} (${work.layer.compressedBytes} bytes, ${work.layer.mediaType})`;
    try {
      const outcome = await analyzeLayer(runtime.contentDeps, work);
      context.info(
        `${what}: ${outcome.status}${outcome.entries !== undefined ? `, ${outcome.entries} entries` : ''}${outcome.reason ? ` (${outcome.reason})` : ''}` +
          (outcome.composed > 0 ? `; ${outcome.composed} image(s) composed` : ''),
      );
    } catch (e) {
      context.warn(`${what}: attempt ${attempt} failed, the queue will retry: ${(e as Error).message}`);
      throw e;
    }
  },
});

// After the queue's last attempt: the layer is recorded as not analyzed (a later push asks
// again), and the images waiting on it are composed without it, rather than waiting for ever.
app.storageQueue('abandonLayer', {
  queueName: LAYERS_POISON_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    const work = parseMessage(LayerMessage, message, runtime.config.ALLOWED_REGISTRIES, 'a layer to analyze');
    const outcome = await abandonLayer(runtime.contentDeps, work);
    context.warn(`layer ${work.registry}/${work.repository}@${work.layer.digest}: ${outcome.status} (${outcome.reason ?? 'finished before'})`);
  },
});

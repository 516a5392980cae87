import { app, type InvocationContext } from '@azure/functions';
import { parseMessage } from '../core/alertMessages';
import { ContentRequestMessage } from '../core/contentAnalysis';
import { CONTENT_QUEUE, STORAGE_CONNECTION } from '../names';
import { getRuntime } from '../runtime';
import { requestContent } from '../services/contentAnalysis';

// A platform image whose layers are to be read: claims and queues the layers nobody has read.
app.storageQueue('analyzeContent', {
  queueName: CONTENT_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: async (message: unknown, context: InvocationContext) => {
    const runtime = getRuntime();
    const req = parseMessage(ContentRequestMessage, message, runtime.config.ALLOWED_REGISTRIES, 'a content analysis request');
    const outcome = await requestContent(runtime.contentDeps, req);
    context.info(
      `content of ${req.registry}/${req.repository}@${req.digest}: ${req.layers.length} layer(s), ${outcome.queued} queued, ${outcome.waitingFor} being read, ${outcome.notAnalyzed} not analyzed` +
        (outcome.composed ? '; composed' : ''),
    );
  },
});

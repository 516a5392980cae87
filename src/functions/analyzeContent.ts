import { app, type InvocationContext } from '@azure/functions';
import { parseMessage } from '../core/alertMessages';
import { ContentRequestMessage } from '../core/contentAnalysis';
import { PermanentError } from '../core/errors';
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
    let outcome;
    try {
      outcome = await requestContent(runtime.contentDeps, req);
    } catch (e) {
      // Nothing stored under that digest (a hand-made message): retrying will not change it.
      if (e instanceof PermanentError) return context.warn(`content of ${req.registry}/${req.repository}@${req.digest}: not analyzed: ${e.message}`);
      throw e;
    }
    context.info(
      `content of ${req.registry}/${req.repository}@${req.digest}: ${outcome.layers} layer(s), ${outcome.queued} queued, ${outcome.waitingFor} being read, ${outcome.notAnalyzed} not analyzed` +
        (outcome.composed ? '; composed' : ''),
    );
  },
});

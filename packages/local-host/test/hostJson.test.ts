import { describe, expect, it } from 'vitest';
import { applyHostJsonOverrides, hostConfigFrom } from '../src/hostJson';

describe('hostConfigFrom', () => {
  it('uses the documented defaults for an empty host.json', () => {
    expect(hostConfigFrom({ version: '2.0' }, 1)).toEqual({
      routePrefix: 'api',
      functionTimeoutMs: 300_000,
      logLevel: 'information',
      queues: {
        batchSize: 16,
        newBatchThreshold: 8,
        maxPollingIntervalMs: 60_000,
        visibilityTimeoutMs: 0,
        maxDequeueCount: 5,
        messageEncoding: 'base64',
      },
    });
  });

  it('defaults newBatchThreshold to batchSize / 2 per core, as the queue extension does', () => {
    expect(hostConfigFrom({}, 2).queues.newBatchThreshold).toBe(16);
    expect(hostConfigFrom({ extensions: { queues: { batchSize: 4 } } }, 4).queues.newBatchThreshold).toBe(8);
    expect(hostConfigFrom({ extensions: { queues: { newBatchThreshold: 3 } } }, 4).queues.newBatchThreshold).toBe(3);
  });

  it('reads the project host.json shape, case-insensitively', () => {
    const config = hostConfigFrom(
      {
        FunctionTimeout: '00:10:00',
        extensions: {
          HTTP: { routePrefix: '/v1/' },
          queues: { BatchSize: 4, maxPollingInterval: '00:00:02', visibilityTimeout: '00:00:30', maxDequeueCount: 3, messageEncoding: 'None' },
        },
        logging: { logLevel: { default: 'Warning' } },
      },
      1,
    );
    expect(config.routePrefix).toBe('v1');
    expect(config.functionTimeoutMs).toBe(600_000);
    expect(config.logLevel).toBe('warning');
    expect(config.queues).toEqual({
      batchSize: 4,
      newBatchThreshold: 2,
      maxPollingIntervalMs: 2_000,
      visibilityTimeoutMs: 30_000,
      maxDequeueCount: 3,
      messageEncoding: 'none',
    });
  });

  it('allows an empty route prefix and an unlimited function timeout', () => {
    const config = hostConfigFrom({ functionTimeout: '-1', extensions: { http: { routePrefix: '' } } });
    expect(config.routePrefix).toBe('');
    expect(config.functionTimeoutMs).toBeNull();
  });

  it.each([
    [{ extensions: { queues: { batchSize: 64 } } }, /extensions\.queues\.batchSize: must be an integer from 1 to 32/],
    [{ extensions: { queues: { maxDequeueCount: 'x' } } }, /extensions\.queues\.maxDequeueCount/],
    [{ extensions: { queues: { maxPollingInterval: 'soon' } } }, /extensions\.queues\.maxPollingInterval: "soon" is not a TimeSpan/],
    [{ extensions: { queues: { maxPollingInterval: '00:00:00.05' } } }, /maxPollingInterval: must be at least 00:00:00\.100/],
    [{ extensions: { queues: { messageEncoding: 'utf8' } } }, /messageEncoding: must be "base64" or "none"/],
    [{ logging: { logLevel: { default: 'Loud' } } }, /logging\.logLevel/],
  ])('names the bad setting: %j', (json, message) => {
    expect(() => hostConfigFrom(json)).toThrow(message);
  });
});

describe('applyHostJsonOverrides', () => {
  const hostJson = {
    functionTimeout: '00:05:00',
    extensions: { queues: { batchSize: 16, visibilityTimeout: '00:00:30' } },
  };

  it('overrides nested settings from AzureFunctionsJobHost__ variables, case-insensitively', () => {
    const result = applyHostJsonOverrides(hostJson, {
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
      azurefunctionsjobhost__Extensions__Queues__BATCHSIZE: '2',
      AzureFunctionsJobHost__functionTimeout: '00:00:10',
      AzureFunctionsJobHost__extensions__http__routePrefix: '',
      UNRELATED: 'x',
    });
    expect(result).toEqual({
      functionTimeout: '00:00:10',
      extensions: { queues: { batchSize: '2', visibilityTimeout: '00:00:01' }, http: { routePrefix: '' } },
    });
    const config = hostConfigFrom(result, 1);
    expect(config.queues.batchSize).toBe(2);
    expect(config.queues.newBatchThreshold).toBe(1);
    expect(config.queues.visibilityTimeoutMs).toBe(1_000);
    expect(config.functionTimeoutMs).toBe(10_000);
    expect(config.routePrefix).toBe('');
  });

  it('does not modify the original object', () => {
    applyHostJsonOverrides(hostJson, { AzureFunctionsJobHost__extensions__queues__batchSize: '1' });
    expect(hostJson.extensions.queues.batchSize).toBe(16);
  });

  it('accepts ":" as the separator too, as .NET configuration does', () => {
    const result = applyHostJsonOverrides({}, { 'AzureFunctionsJobHost:extensions:queues:maxDequeueCount': '2' });
    expect(hostConfigFrom(result).queues.maxDequeueCount).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { queueServiceClient, resolveQueueConnection, StorageConnectionError } from '../src/storageConnection';

describe('resolveQueueConnection', () => {
  it('reads a connection string from AzureWebJobs<name> first, then <name>', () => {
    expect(resolveQueueConnection('AzureWebJobsStorage', { AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toEqual({
      kind: 'connectionString',
      setting: 'AzureWebJobsStorage',
      connectionString: 'UseDevelopmentStorage=true',
    });
    const env = { AzureWebJobsOther: 'AccountName=a;AccountKey=k', Other: 'AccountName=b;AccountKey=k' };
    expect(resolveQueueConnection('Other', env)).toMatchObject({ setting: 'AzureWebJobsOther', connectionString: 'AccountName=a;AccountKey=k' });
    expect(resolveQueueConnection('Other', { Other: 'AccountName=b;AccountKey=k' })).toMatchObject({ setting: 'Other' });
  });

  it('reads identity-based settings: a queue service URI, or an account name', () => {
    expect(
      resolveQueueConnection('Store', {
        Store__queueServiceUri: 'https://acct.queue.core.windows.net',
        Store__credential: 'managedidentity',
        Store__clientId: 'id-1',
      }),
    ).toEqual({ kind: 'identity', setting: 'Store', queueServiceUri: 'https://acct.queue.core.windows.net', credential: 'managedidentity', clientId: 'id-1' });
    expect(resolveQueueConnection('AzureWebJobsStorage', { AzureWebJobsStorage__accountName: 'acct' })).toMatchObject({
      kind: 'identity',
      queueServiceUri: 'https://acct.queue.core.windows.net',
    });
  });

  it('names the setting that is missing or wrong', () => {
    const error = (env: NodeJS.ProcessEnv) => {
      try {
        resolveQueueConnection('AzureWebJobsStorage', env);
      } catch (e) {
        return e as StorageConnectionError;
      }
      throw new Error('expected a StorageConnectionError');
    };
    expect(error({})).toMatchObject({
      name: 'StorageConnectionError',
      setting: 'AzureWebJobsStorage',
      message: expect.stringMatching(/^AzureWebJobsStorage is not set/),
    });
    expect(error({ AzureWebJobsStorage: 'not a connection string' }).setting).toBe('AzureWebJobsStorage');
    expect(error({ AzureWebJobsStorage__accountName: 'Not_An_Account' }).setting).toBe('AzureWebJobsStorage__accountName');
    expect(error({ AzureWebJobsStorage__queueServiceUri: 'no url' }).setting).toBe('AzureWebJobsStorage__queueServiceUri');
  });
});

describe('queueServiceClient', () => {
  it('points development storage at the emulator on its standard queue port', () => {
    const client = queueServiceClient({ kind: 'connectionString', setting: 'AzureWebJobsStorage', connectionString: 'UseDevelopmentStorage=true' });
    expect(client.url).toBe('http://127.0.0.1:10001/devstoreaccount1');
  });

  it('uses the queue service URI of an identity-based connection', () => {
    const client = queueServiceClient({ kind: 'identity', setting: 'S', queueServiceUri: 'https://acct.queue.core.windows.net' });
    expect(client.url).toBe('https://acct.queue.core.windows.net');
    expect(client.accountName).toBe('acct');
  });
});

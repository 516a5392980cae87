import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import { azuriteConnectionString, DEV_STORAGE_CONNECTION, DEV_STORAGE_PORTS } from './azurite';

/**
 * A queue trigger's `connection`, resolved the way the Functions host resolves it: the
 * setting `AzureWebJobs<name>` if present, else `<name>`; its value a connection string
 * (`UseDevelopmentStorage=true` meaning the emulator on its standard ports), or, when it
 * is absent, identity-based settings `<setting>__queueServiceUri` or
 * `<setting>__accountName`, with optional `__credential=managedidentity` and `__clientId`.
 */

export type QueueConnection =
  | { kind: 'connectionString'; setting: string; connectionString: string }
  | { kind: 'identity'; setting: string; queueServiceUri: string; credential?: string; clientId?: string };

/** Names the setting to fix, so a start-up failure says where to look. */
export class StorageConnectionError extends Error {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`${setting} ${problem}`);
    this.name = 'StorageConnectionError';
  }
}

const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** The setting a connection name refers to: the host tries the `AzureWebJobs` prefix first. */
function settingFor(connection: string, env: NodeJS.ProcessEnv): string {
  const prefixed = `AzureWebJobs${connection}`;
  const present = (name: string) => Object.keys(env).some((key) => key === name || key.startsWith(`${name}__`));
  return present(prefixed) ? prefixed : connection;
}

export function resolveQueueConnection(connection: string, env: NodeJS.ProcessEnv): QueueConnection {
  const setting = settingFor(connection, env);
  const connectionString = value(env, setting);
  if (connectionString) {
    if (connectionString !== DEV_STORAGE_CONNECTION && !/AccountName=|QueueEndpoint=/i.test(connectionString)) {
      throw new StorageConnectionError(
        setting,
        `is not a storage connection string (expected "${DEV_STORAGE_CONNECTION}" or "DefaultEndpointsProtocol=...;AccountName=...")`,
      );
    }
    return { kind: 'connectionString', setting, connectionString };
  }
  const accountName = value(env, `${setting}__accountName`);
  if (accountName !== undefined && !ACCOUNT_NAME.test(accountName)) {
    throw new StorageConnectionError(`${setting}__accountName`, `"${accountName}" is not a storage account name`);
  }
  const queueServiceUri = value(env, `${setting}__queueServiceUri`) ?? (accountName ? `https://${accountName}.queue.core.windows.net` : undefined);
  if (!queueServiceUri) {
    throw new StorageConnectionError(setting, `is not set: a connection string, or identity-based ${setting}__queueServiceUri or ${setting}__accountName`);
  }
  if (!URL.canParse(queueServiceUri)) throw new StorageConnectionError(`${setting}__queueServiceUri`, `"${queueServiceUri}" is not a URL`);
  return { kind: 'identity', setting, queueServiceUri, credential: value(env, `${setting}__credential`), clientId: value(env, `${setting}__clientId`) };
}

const credentials = new Map<string, TokenCredential>();

/** One credential per identity, shared by every listener, so tokens are fetched once. */
function credentialFor(conn: Extract<QueueConnection, { kind: 'identity' }>): TokenCredential {
  const key = `${conn.credential ?? ''}|${conn.clientId ?? ''}`;
  let credential = credentials.get(key);
  if (!credential) {
    credential =
      conn.credential?.toLowerCase() === 'managedidentity'
        ? new ManagedIdentityCredential(conn.clientId ? { clientId: conn.clientId } : {})
        : new DefaultAzureCredential(conn.clientId ? { managedIdentityClientId: conn.clientId } : {});
    credentials.set(key, credential);
  }
  return credential;
}

export function queueServiceClient(conn: QueueConnection, options?: StoragePipelineOptions): QueueServiceClient {
  if (conn.kind === 'identity') return new QueueServiceClient(conn.queueServiceUri, credentialFor(conn), options);
  const connectionString = conn.connectionString === DEV_STORAGE_CONNECTION ? azuriteConnectionString(DEV_STORAGE_PORTS) : conn.connectionString;
  return QueueServiceClient.fromConnectionString(connectionString, options);
}

import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import type { StorageConnection } from '../config';

/**
 * Builds Storage clients from a resolved connection. Both the app and the local host
 * use this, so a setting that works for one works for the other.
 */

const credentials = new Map<string, TokenCredential>();

function credentialFor(conn: Extract<StorageConnection, { kind: 'identity' }>): TokenCredential {
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

/** Azurite and other emulators are plain HTTP; the SDK refuses that unless told. */
function isHttp(conn: StorageConnection): boolean {
  if (conn.kind === 'identity') return conn.tableServiceUri.startsWith('http:');
  return conn.connectionString === 'UseDevelopmentStorage=true' || /(Endpoint=http:|DefaultEndpointsProtocol=http;)/i.test(conn.connectionString);
}

export function tableClient(conn: StorageConnection, tableName: string): TableClient {
  const allowInsecureConnection = isHttp(conn);
  if (conn.kind === 'connectionString') {
    return TableClient.fromConnectionString(conn.connectionString, tableName, { allowInsecureConnection });
  }
  return new TableClient(conn.tableServiceUri, tableName, credentialFor(conn), { allowInsecureConnection });
}

export function queueServiceClient(conn: StorageConnection, options?: StoragePipelineOptions): QueueServiceClient {
  if (conn.kind === 'connectionString') return QueueServiceClient.fromConnectionString(conn.connectionString, options);
  return new QueueServiceClient(conn.queueServiceUri, credentialFor(conn), options);
}

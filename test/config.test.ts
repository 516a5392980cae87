import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveStorageConnection, signInSettings } from '../src/config';

const base = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  WEBHOOK_SECRET: 'a-secret-of-enough-length',
  ALLOWED_REGISTRIES: 'MyReg.azurecr.io, localhost:5443',
};

describe('loadConfig', () => {
  it('reads settings with defaults and normalises the allow-list', () => {
    const c = loadConfig(base);
    expect(c.ALLOWED_REGISTRIES).toEqual(['myreg.azurecr.io', 'localhost:5443']);
    expect(c.REGISTRY_TIMEOUT_MS).toBe(15000);
    expect(c.API_AUTH_LEVEL).toBe('function');
    expect(c.storage).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
  });

  it('names every bad setting in one error', () => {
    const err = (() => {
      try {
        loadConfig({ ALLOWED_REGISTRIES: 'https://x/', REGISTRY_TIMEOUT_MS: 'fast' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems.map((p) => p.setting).sort()).toEqual(['ALLOWED_REGISTRIES', 'AzureWebJobsStorage', 'REGISTRY_TIMEOUT_MS', 'WEBHOOK_SECRET']);
    expect(err!.message).toMatch(/REGISTRY_TIMEOUT_MS: must be an integer from 1000 to 120000, got "fast"/);
  });

  it('refuses a short secret and an empty allow-list', () => {
    expect(() => loadConfig({ ...base, WEBHOOK_SECRET: 'short' })).toThrow(/WEBHOOK_SECRET: must be at least 16 characters/);
    expect(() => loadConfig({ ...base, ALLOWED_REGISTRIES: ' , ' })).toThrow(/ALLOWED_REGISTRIES: must name at least one/);
  });
});

describe('alert and Teams settings', () => {
  it('defaults: settle 30 s, Teams timeout 60 s, policy writes at function level', () => {
    const c = loadConfig(base);
    expect(c.ALERT_SETTLE_SECONDS).toBe(30);
    expect(c.TEAMS_TIMEOUT_SECONDS).toBe(60);
    expect(c.API_WRITE_AUTH_LEVEL).toBe('function');
    expect(c.TEAMS_ALLOWED_ROUTE_PREFIXES).toEqual([]);
    expect(loadConfig({ ...base, API_WRITE_AUTH_LEVEL: 'admin', ALERT_SETTLE_SECONDS: '0' })).toMatchObject({
      API_WRITE_AUTH_LEVEL: 'admin',
      ALERT_SETTLE_SECONDS: 0,
    });
  });

  it('never lets policy writes be anonymous', () => {
    expect(() => loadConfig({ ...base, API_AUTH_LEVEL: 'anonymous', API_WRITE_AUTH_LEVEL: 'anonymous' })).toThrow(
      /API_WRITE_AUTH_LEVEL: must be "function" or "admin"/,
    );
  });

  it('bounds the Teams timeout inside the function timeout', () => {
    expect(() => loadConfig({ ...base, TEAMS_TIMEOUT_SECONDS: '600' })).toThrow(/TEAMS_TIMEOUT_SECONDS: must be an integer from 1 to 240/);
  });

  it('refuses a default webhook with credentials without quoting them', () => {
    const err = (() => {
      try {
        loadConfig({ ...base, TEAMS_WEBHOOK_URL: 'https://bob:hunter2@prod-1.logic.azure.com/workflows/x?sig=s' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/TEAMS_WEBHOOK_URL: must not contain credentials/);
    expect(err?.message).not.toContain('hunter2');
  });

  it('normalises route prefixes and holds them to the allowed hosts', () => {
    const c = loadConfig({
      ...base,
      TEAMS_ALLOWED_ROUTE_PREFIXES: 'https://Prod-1.WestEurope.logic.azure.com:443/workflows/abc/ , https://prod-2.westeurope.logic.azure.com/workflows/def',
    });
    expect(c.TEAMS_ALLOWED_ROUTE_PREFIXES).toEqual([
      'https://prod-1.westeurope.logic.azure.com/workflows/abc',
      'https://prod-2.westeurope.logic.azure.com/workflows/def',
    ]);
    expect(() => loadConfig({ ...base, TEAMS_ALLOWED_ROUTE_PREFIXES: 'https://evil.example.com/workflows/a' })).toThrow(
      /TEAMS_ALLOWED_ROUTE_PREFIXES: host evil\.example\.com .* is not in TEAMS_ALLOWED_HOSTS/,
    );
    expect(() => loadConfig({ ...base, TEAMS_ALLOWED_ROUTE_PREFIXES: 'https://prod-1.logic.azure.com/w?sig=SECRET' })).toThrow(
      /TEAMS_ALLOWED_ROUTE_PREFIXES: .*must not contain a query/,
    );
  });
});

describe('resolveStorageConnection', () => {
  it('uses identity-based settings the way the Functions host does', () => {
    expect(
      resolveStorageConnection({
        AzureWebJobsStorage__accountName: 'acct123',
        AzureWebJobsStorage__credential: 'managedidentity',
        AzureWebJobsStorage__clientId: 'cid',
      }),
    ).toEqual({
      kind: 'identity',
      queueServiceUri: 'https://acct123.queue.core.windows.net',
      tableServiceUri: 'https://acct123.table.core.windows.net',
      blobServiceUri: 'https://acct123.blob.core.windows.net',
      credential: 'managedidentity',
      clientId: 'cid',
    });
    expect(
      resolveStorageConnection({
        AzureWebJobsStorage__queueServiceUri: 'https://a.queue.core.windows.net',
        AzureWebJobsStorage__tableServiceUri: 'https://a.table.core.windows.net',
      }),
    ).toMatchObject({ kind: 'identity' });
  });

  it('names the missing service URI', () => {
    expect(() => resolveStorageConnection({ AzureWebJobsStorage__queueServiceUri: 'https://a.queue.core.windows.net' })).toThrow(
      /AzureWebJobsStorage__tableServiceUri/,
    );
    expect(() => resolveStorageConnection({ AzureWebJobsStorage: 'garbage' })).toThrow(/AzureWebJobsStorage: is not a storage connection string/);
  });
});

describe('estimate settings', () => {
  it('parses JSON settings and reports problems with the path inside them', () => {
    const c = loadConfig({ ...base, REGISTRY_PROFILES: '{"Big.AzureCR.io": {"sku": "Premium", "replicas": 2}}', PULL_MODEL: '{"compressionRatio": 3}' });
    expect(c.REGISTRY_PROFILES).toEqual({ 'big.azurecr.io': { sku: 'Premium', replicas: 2 } });
    expect(c.PULL_MODEL).toEqual({ compressionRatio: 3 });
    expect(() => loadConfig({ ...base, PULL_MODEL: '{"targets": {"aci": {"throughputMBps": -1}}}' })).toThrow(/PULL_MODEL: targets\.aci\.throughputMBps/);
    expect(() => loadConfig({ ...base, ACR_PRICES: '{nope' })).toThrow(/ACR_PRICES: is not valid JSON/);
    expect(() => loadConfig({ ...base, REGISTRY_PROFILES: '{"r": {"sku": "Standard", "replicas": 3}}' })).toThrow(
      /REGISTRY_PROFILES: r\.replicas: geo-replication/,
    );
    expect(() => loadConfig({ ...base, ACR_GEO_REPLICAS: '2' })).toThrow(/ACR_GEO_REPLICAS: geo-replication needs ACR_SKU=Premium/);
    expect(() => loadConfig({ ...base, BASELINE_MODE: 'latest' })).toThrow(/BASELINE_MODE/);
  });
});

describe('secrets', () => {
  it('refuses an unresolved Key Vault reference instead of using its text as the secret', () => {
    expect(() => loadConfig({ ...base, WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/webhook-secret)' })).toThrow(
      /WEBHOOK_SECRET: is an unresolved Key Vault reference/,
    );
    expect(loadConfig({ ...base, WEBHOOK_SECRET_PREVIOUS: 'the-old-secret-0123456789' }).WEBHOOK_SECRET_PREVIOUS).toBe('the-old-secret-0123456789');
    expect(() => loadConfig({ ...base, WEBHOOK_SECRET_PREVIOUS: 'short' })).toThrow(/WEBHOOK_SECRET_PREVIOUS: must be at least 16/);
  });
});

describe('layer analysis settings', () => {
  it('defaults to reading layers, with documented limits', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      LAYER_ANALYSIS: true,
      LAYER_ANALYSIS_MAX_BYTES: 8 * 1024 ** 3,
      LAYER_ANALYSIS_MAX_FILES: 1_000_000,
      LAYER_ANALYSIS_CONCURRENCY: 2,
    });
    expect(loadConfig({ ...base, LAYER_ANALYSIS: 'false' }).LAYER_ANALYSIS).toBe(false);
  });

  it('names a bad limit', () => {
    expect(() => loadConfig({ ...base, LAYER_ANALYSIS_CONCURRENCY: '0' })).toThrow(/LAYER_ANALYSIS_CONCURRENCY/);
    expect(() => loadConfig({ ...base, LAYER_ANALYSIS: 'maybe' })).toThrow(/LAYER_ANALYSIS: must be true or false/);
  });

  it('needs the blob endpoint with identity-based storage while it is on, since file indexes live in Blob Storage', () => {
    const { AzureWebJobsStorage: _c, ...rest } = base as Record<string, string>;
    const identity = {
      ...rest,
      AzureWebJobsStorage__queueServiceUri: 'https://a.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://a.table.core.windows.net',
    };
    expect(() => loadConfig(identity)).toThrow(/AzureWebJobsStorage__blobServiceUri: is required with identity-based storage while LAYER_ANALYSIS is on/);
    expect(loadConfig({ ...identity, LAYER_ANALYSIS: 'false' }).storage).toMatchObject({ kind: 'identity' });
    expect(loadConfig({ ...identity, AzureWebJobsStorage__blobServiceUri: 'https://a.blob.core.windows.net' }).storage).toMatchObject({
      blobServiceUri: 'https://a.blob.core.windows.net',
    });
  });
});

describe('Entra ID sign-in settings', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const CLIENT = '11111111-2222-3333-4444-555555555555';

  it('is off without both ids, and on with both, with the public cloud and access_as_user by default', () => {
    expect(signInSettings(loadConfig(base))).toBeUndefined();
    expect(signInSettings(loadConfig({ ...base, ENTRA_TENANT_ID: ' ', ENTRA_CLIENT_ID: '' }))).toBeUndefined();
    expect(signInSettings(loadConfig({ ...base, ENTRA_TENANT_ID: TENANT, ENTRA_CLIENT_ID: CLIENT }))).toEqual({
      authorityHost: 'https://login.microsoftonline.com',
      tenantId: TENANT,
      clientId: CLIENT,
      scope: 'access_as_user',
    });
    // The Bicep passes the cloud's login endpoint, which ends in a slash.
    const gov = loadConfig({
      ...base,
      ENTRA_TENANT_ID: TENANT,
      ENTRA_CLIENT_ID: CLIENT,
      ENTRA_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
      ENTRA_APP_ROLE: 'Tracker.Read',
    });
    expect(signInSettings(gov)).toMatchObject({ authorityHost: 'https://login.microsoftonline.us', appRole: 'Tracker.Read' });
  });

  it('names the missing half, a value that is not a GUID, and an authority that is not https', () => {
    expect(() => loadConfig({ ...base, ENTRA_CLIENT_ID: CLIENT })).toThrow(/ENTRA_TENANT_ID: is required with ENTRA_CLIENT_ID/);
    expect(() => loadConfig({ ...base, ENTRA_TENANT_ID: TENANT })).toThrow(/ENTRA_CLIENT_ID: is required with ENTRA_TENANT_ID/);
    expect(() => loadConfig({ ...base, ENTRA_TENANT_ID: 'contoso.onmicrosoft.com', ENTRA_CLIENT_ID: CLIENT })).toThrow(
      /ENTRA_TENANT_ID: must be the directory \(tenant\) id, a GUID/,
    );
    expect(() => loadConfig({ ...base, ENTRA_TENANT_ID: TENANT, ENTRA_CLIENT_ID: CLIENT, ENTRA_AUTHORITY_HOST: 'http://login.example' })).toThrow(
      /ENTRA_AUTHORITY_HOST: must be an https URL/,
    );
    expect(() => loadConfig({ ...base, ENTRA_SCOPE: 'api://x/y' })).toThrow(/ENTRA_SCOPE: must be a scope name/);
  });
});

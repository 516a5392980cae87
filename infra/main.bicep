// acr-size-tracker: a Function App on Flex Consumption that receives webhooks from an
// EXISTING Azure Container Registry, with identity-based storage, Key Vault secrets and
// workspace-based Application Insights. Layout follows the azd Functions quickstarts
// (subscription scope, one resource group per environment, azd-env-name tags), written
// as plain resources so the static checks in test/infra/bicep.test.ts can read all of it.
//
//   main.bicep              this file: parameters, the app's settings, outputs
//   modules/app.bicep       everything in the environment's resource group
//   modules/registry.bicep  what lands in the registry's resource group: pull roles,
//                           the ACR webhook and (optionally) the Event Grid subscription
targetScope = 'subscription'

// ---------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to derive a unique token for resource names.')
param environmentName string

@minLength(1)
@description('Region of the resource group and every resource in it (must offer Flex Consumption). The registry webhook and Event Grid topic always use the registry\'s own region.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Name of the resource group to create. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the user (or service principal) running the deployment; gets data access to the storage account when grantDeployerDataAccess is true.')
param principalId string = deployer().objectId

@description('Type of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Give principalId the same storage data roles as the app, to run the app locally against the real account (see docs/deploy.md).')
param grantDeployerDataAccess bool = true

// ---------------------------------------------------------------------------------
// The registry to watch (must exist; it is never created or modified here, except
// for the webhook, the Event Grid topic and the role assignments listed below)
// ---------------------------------------------------------------------------------

@minLength(5)
@maxLength(50)
@description('Name of the existing container registry (without .azurecr.io).')
param registryName string

@minLength(1)
@description('Resource group of the existing registry, in the same subscription.')
param registryResourceGroupName string

@description('Create the ACR webhook (push, delete) that calls /api/webhooks/acr.')
param createRegistryWebhook bool = true

@description('Deliver ImagePushed/ImageDeleted through an Event Grid system topic to /api/webhooks/eventgrid (retried for 24 h). Event Grid validates the endpoint when the subscription is created, so the code must be deployed first: see docs/deploy.md.')
param useEventGrid bool = false

@description('Create the ACR webhook even when useEventGrid is true (both paths deliver; the app is idempotent, so duplicates are harmless).')
param keepRegistryWebhookWithEventGrid bool = false

@description('Name of the Event Grid system topic for the registry. A registry can have only one system topic: if it already has one, give its name here.')
param eventGridSystemTopicName string = ''

// ---------------------------------------------------------------------------------
// Secrets (never literals: main.parameters.json maps them to azd environment values)
// ---------------------------------------------------------------------------------

@secure()
@minLength(16)
@description('Shared secret the registry sends as "Authorization: Bearer <secret>" (WEBHOOK_SECRET, at least 16 characters). Stored in Key Vault.')
param webhookSecret string

@secure()
@description('Teams Workflows webhook URL for alerts (TEAMS_WEBHOOK_URL). Optional; stored in Key Vault when given.')
param teamsWebhookUrl string = ''

@secure()
@description('During a secret rotation, the secret being replaced (WEBHOOK_SECRET_PREVIOUS): the app accepts both. Empty otherwise.')
param webhookSecretPrevious string = ''

// ---------------------------------------------------------------------------------
// App settings (see the settings table in README.md)
// ---------------------------------------------------------------------------------

@description('More login servers to accept besides this registry (comma-separated; ALLOWED_REGISTRIES). Give the app identity AcrPull on each of them yourself.')
param additionalAllowedRegistries string = ''

@description('Functions auth level of the read APIs (API_AUTH_LEVEL). Webhooks are always anonymous and check WEBHOOK_SECRET.')
@allowed([
  'function'
  'anonymous'
])
param apiAuthLevel string = 'function'

@description('Functions auth level of the policy writes, PUT/DELETE /api/policy (API_WRITE_AUTH_LEVEL). Never anonymous: writes can mute a repository or re-route its alerts.')
@allowed([
  'function'
  'admin'
])
param apiWriteAuthLevel string = 'function'

@description('NCRONTAB schedule of the alert re-send timer (ALERT_RESEND_SCHEDULE). Every run is a billed execution: see docs/deploy.md.')
param alertResendSchedule string = '0 */1 * * * *'

@description('Geo-replica count of the registry (ACR_GEO_REPLICAS; more than 1 needs Premium). Empty: the app default (1).')
param acrGeoReplicas string = ''

@description('Hosts a policy\'s teamsRoute may point at (TEAMS_ALLOWED_HOSTS). Empty: the app default.')
param teamsAllowedHosts string = ''

@description('Workflow URL prefixes a policy\'s teamsRoute must start with (TEAMS_ALLOWED_ROUTE_PREFIXES, comma-separated, no query). Empty: any route on the allowed hosts.')
param teamsAllowedRoutePrefixes string = ''

@description('Seconds a pushed point settles before its alert rules run (ALERT_SETTLE_SECONDS). Empty: the app default (30).')
param alertSettleSeconds string = ''

@description('Seconds one POST to Teams may take before its outcome counts as unknown and it is retried later (TEAMS_TIMEOUT_SECONDS, 1-240). Empty: the app default (60).')
param teamsTimeoutSeconds string = ''

@description('Per-try timeout of storage calls in ms (STORAGE_TRY_TIMEOUT_MS). Empty: the app default (2000).')
param storageTryTimeoutMs string = ''

@description('Tries per storage call (STORAGE_MAX_TRIES). Empty: the app default (2).')
param storageMaxTries string = ''

@description('Oldest reported event time recorded as sent, in hours before its arrival (EVENT_MAX_AGE_HOURS). Empty: the app default (168).')
param eventMaxAgeHours string = ''

@description('Where people reach the API, for links in alerts (PUBLIC_BASE_URL). Empty: https://<function app host>.')
param publicBaseUrl string = ''

@description('Application (client) id of the app registration people sign in to the dashboard and the APIs with (ENTRA_CLIENT_ID). Empty: no Entra sign-in. The registration is yours to create: see docs/deploy.md.')
param entraClientId string = ''

@description('Directory (tenant) id of that app registration (ENTRA_TENANT_ID). Empty: the tenant this deployment runs in.')
param entraTenantId string = ''

@description('App role an app-only token (client credentials) must carry to read (ENTRA_APP_ROLE). Empty: only people sign in.')
param entraAppRole string = ''

@description('Any other non-secret app settings from the README table, e.g. {"ALERT_GROWTH_PERCENT": "5", "REGISTRY_PROFILES": "{...}"}. They cannot override the identity, storage, monitoring or secret settings.')
param extraAppSettings object = {}

// ---------------------------------------------------------------------------------
// Sizing and retention
// ---------------------------------------------------------------------------------

@description('Memory of each Flex Consumption instance, MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound of Flex Consumption scale-out.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Always-ready instances for the HTTP functions (the webhooks). 0 scales to zero when idle; 1 avoids cold starts on the webhook, whose caller (ACR) waits 5 s and never retries, at the price of a billed baseline. See docs/deploy.md.')
@minValue(0)
@maxValue(10)
param alwaysReadyHttpInstances int = 0

@description('Key Vault purge protection. Irreversible once enabled, and a purge-protected vault name stays taken for the whole retention period after deletion.')
param enableKeyVaultPurgeProtection bool = false

@description('Log Analytics retention, days.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Log Analytics daily ingestion cap in GB (-1: no cap).')
param logDailyQuotaGb int = -1

// ---------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------

// Prefixes from the azd abbreviations list.
var abbrs = {
  resourcesResourceGroups: 'rg-'
  managedIdentityUserAssignedIdentities: 'id-'
  storageStorageAccounts: 'st'
  webServerFarms: 'plan-'
  webSitesFunctions: 'func-'
  operationalInsightsWorkspaces: 'log-'
  insightsComponents: 'appi-'
  keyVaultVaults: 'kv-'
  eventGridEventSystemTopics: 'egst-'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The registry is only read here: its login server and SKU become app settings.
resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
  scope: resourceGroup(registryResourceGroupName)
}

// ---------------------------------------------------------------------------------
// The app's settings. Storage, monitoring, identity and secret settings are added by
// modules/app.bicep (they need the resources it creates); these come from parameters
// and from the registry.
// ---------------------------------------------------------------------------------

var requiredAppSettings = {
  ALLOWED_REGISTRIES: empty(additionalAllowedRegistries) ? registry.properties.loginServer : '${registry.properties.loginServer},${additionalAllowedRegistries}'
  ACR_SKU: registry.sku.name
  API_AUTH_LEVEL: apiAuthLevel
  API_WRITE_AUTH_LEVEL: apiWriteAuthLevel
  ALERT_RESEND_SCHEDULE: alertResendSchedule
}

// Set only when not empty, so the app's own defaults apply otherwise.
var optionalAppSettings = {
  ACR_GEO_REPLICAS: acrGeoReplicas
  TEAMS_ALLOWED_HOSTS: teamsAllowedHosts
  TEAMS_ALLOWED_ROUTE_PREFIXES: teamsAllowedRoutePrefixes
  ALERT_SETTLE_SECONDS: alertSettleSeconds
  TEAMS_TIMEOUT_SECONDS: teamsTimeoutSeconds
  EVENT_MAX_AGE_HOURS: eventMaxAgeHours
  STORAGE_TRY_TIMEOUT_MS: storageTryTimeoutMs
  STORAGE_MAX_TRIES: storageMaxTries
  // Entra sign-in: the tenant and the cloud's sign-in host follow the deployment unless a registration is named elsewhere.
  ENTRA_CLIENT_ID: entraClientId
  ENTRA_TENANT_ID: empty(entraClientId) ? '' : (empty(entraTenantId) ? tenant().tenantId : entraTenantId)
  ENTRA_AUTHORITY_HOST: empty(entraClientId) ? '' : environment().authentication.loginEndpoint
  ENTRA_APP_ROLE: entraAppRole
}

var givenOptionalAppSettings = toObject(filter(items(optionalAppSettings), setting => !empty(setting.value)), setting => setting.key, setting => setting.value)

// extraAppSettings last among these; modules/app.bicep adds its platform settings after all of them.
var appSettings = union(requiredAppSettings, givenOptionalAppSettings, extraAppSettings)

module app 'modules/app.bicep' = {
  name: 'app'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    abbrs: abbrs
    functionAppName: functionAppName
    appSettings: appSettings
    webhookSecret: webhookSecret
    webhookSecretPrevious: webhookSecretPrevious
    teamsWebhookUrl: teamsWebhookUrl
    publicBaseUrl: publicBaseUrl
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    enableKeyVaultPurgeProtection: enableKeyVaultPurgeProtection
    logRetentionDays: logRetentionDays
    logDailyQuotaGb: logDailyQuotaGb
    deployerPrincipalId: grantDeployerDataAccess ? principalId : ''
    deployerPrincipalType: principalType
  }
}

module registryAccess 'modules/registry.bicep' = {
  name: 'registry-${resourceToken}'
  scope: resourceGroup(registryResourceGroupName)
  params: {
    registryName: registry.name
    resourceToken: resourceToken
    tags: tags
    principalId: app.outputs.identityPrincipalId
    functionAppHostName: app.outputs.defaultHostName
    webhookSecret: webhookSecret
    createWebhook: createRegistryWebhook && (!useEventGrid || keepRegistryWebhookWithEventGrid)
    useEventGrid: useEventGrid
    eventGridSystemTopicName: !empty(eventGridSystemTopicName) ? eventGridSystemTopicName : '${abbrs.eventGridEventSystemTopics}acr-${resourceToken}'
  }
}

// ---------------------------------------------------------------------------------
// Outputs (azd stores them in .azure/<env>/.env)
// ---------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = app.outputs.functionAppName
output SERVICE_API_NAME string = app.outputs.functionAppName
output SERVICE_API_URI string = 'https://${app.outputs.defaultHostName}'
output AZURE_STORAGE_ACCOUNT_NAME string = app.outputs.storageAccountName
output AZURE_KEY_VAULT_NAME string = app.outputs.keyVaultName
output AZURE_KEY_VAULT_ENDPOINT string = app.outputs.keyVaultUri
output AZURE_APP_IDENTITY_CLIENT_ID string = app.outputs.identityClientId
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.properties.loginServer
// Where the registry delivers; the secret travels in the Authorization header, never in the URL.
output WEBHOOK_URL string = 'https://${app.outputs.defaultHostName}/api/webhooks/acr'
output EVENT_GRID_WEBHOOK_URL string = 'https://${app.outputs.defaultHostName}/api/webhooks/eventgrid'

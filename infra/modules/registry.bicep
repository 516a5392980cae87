// What this deployment adds in the EXISTING registry's resource group: pull access for
// the app's identity, the ACR webhook, and optionally an Event Grid system topic with a
// subscription. The registry itself is only referenced, never changed.

param registryName string
param resourceToken string
param tags object

@description('Object id of the app\'s user-assigned identity.')
param principalId string

@description('Default host name of the Function App, e.g. func-api-xyz.azurewebsites.net.')
param functionAppHostName string

@secure()
@description('Sent by the registry / Event Grid as "Authorization: Bearer <secret>".')
param webhookSecret string

param createWebhook bool = true
param useEventGrid bool = false
param eventGridSystemTopicName string

// Built-in role definitions (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
// AcrPull is what registries in the default "RBAC Registry Permissions" mode honour;
// registries switched to "RBAC Registry + ABAC Repository Permissions" ignore it and
// honour Container Registry Repository Reader instead. Both only read, so the app gets
// both and works in either mode.
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var containerRegistryRepositoryReaderRoleId = 'b93aa761-3e63-49ed-ac28-beffa264f7ac'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource acrPullForApp 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, acrPullRoleId)
  scope: registry
  properties: {
    description: 'AcrPull: acr-size-tracker reads manifests and image configs'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource containerRegistryRepositoryReaderForApp 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, containerRegistryRepositoryReaderRoleId)
  scope: registry
  properties: {
    description: 'Container Registry Repository Reader: the same read access on ABAC-mode registries'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', containerRegistryRepositoryReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// ACR calls each webhook once, never retries, and waits 5 s: the app only validates and
// queues. Scope '' = every repository. The header value is write-only in ACR.
resource webhook 'Microsoft.ContainerRegistry/registries/webhooks@2023-07-01' = if (createWebhook) {
  parent: registry
  name: 'acrsize${resourceToken}'
  location: registry.location
  tags: tags
  properties: {
    serviceUri: 'https://${functionAppHostName}/api/webhooks/acr'
    customHeaders: {
      Authorization: 'Bearer ${webhookSecret}'
    }
    actions: [
      'push'
      'delete'
    ]
    status: 'enabled'
    scope: ''
  }
}

// Event Grid delivers at least once and retries for up to 24 hours, so nothing is lost
// while the app restarts or the secret rotates. A registry has at most one system topic.
resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (useEventGrid) {
  name: eventGridSystemTopicName
  location: registry.location
  tags: tags
  properties: {
    source: registry.id
    topicType: 'Microsoft.ContainerRegistry.Registries'
  }
}

resource eventSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (useEventGrid) {
  parent: systemTopic
  name: 'acr-size-tracker-${resourceToken}'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionAppHostName}/api/webhooks/eventgrid'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
        deliveryAttributeMappings: [
          {
            name: 'Authorization'
            type: 'Static'
            properties: {
              value: 'Bearer ${webhookSecret}'
              isSecret: true
            }
          }
        ]
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.ContainerRegistry.ImagePushed'
        'Microsoft.ContainerRegistry.ImageDeleted'
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output loginServer string = registry.properties.loginServer

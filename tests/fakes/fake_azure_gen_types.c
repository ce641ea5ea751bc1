/*
 * fake_azure_gen_types: the ARM resource types of the generated tenant.
 *
 * One row per provider collection ("Microsoft.Network/virtualNetworks"):
 * the generated tenant serves
 *   GET /subscriptions/{s}/providers/{type}
 *   GET /subscriptions/{s}/resourceGroups/{rg}/providers/{type}
 *   GET .../providers/{type}/{name}
 * from these rows, `resources` items per type and subscription spread over
 * the resource groups.  Step engineers add a row (and, if the step reads
 * type-specific properties, a builder) for every type they implement; the
 * core (fake_azure_gen.c) never changes for a new type.
 */
#include "fakes/fake_azure_internal.h"

/* Builders append the "properties" member's value. */
static void props_empty(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)c;
    (void)id;
    sbuf_puts(o, "{\"provisioningState\":\"Succeeded\"}");
}

/* VM i uses disk i (managed OS disk) and NIC i of its resource group. */
static void props_vm(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"vmId\":\"%08x-1111-4000-8000-%012x\","
                "\"hardwareProfile\":{\"vmSize\":\"Standard_B1s\"},"
                "\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":"
                "\"UbuntuServer\",\"sku\":\"18.04-LTS\",\"version\":\"latest\",\"exactVersion\":"
                "\"18.04.202103151\"},\"osDisk\":{\"osType\":\"Linux\",\"name\":\"osdisk-%d\","
                "\"createOption\":\"FromImage\",\"managedDisk\":{\"storageAccountType\":"
                "\"Standard_LRS\",\"id\":\"/subscriptions/%s/resourceGroups/%s/providers/"
                "Microsoft.Compute/disks/disks-%d\"}},\"dataDisks\":[]},"
                "\"osProfile\":{\"computerName\":\"vm-%d\",\"adminUsername\":\"azureuser\","
                "\"linuxConfiguration\":{\"disablePasswordAuthentication\":true}},"
                "\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"/subscriptions/%s/"
                "resourceGroups/%s/providers/Microsoft.Network/networkInterfaces/"
                "networkinterfaces-%d\",\"properties\":{\"primary\":true}}]}}",
                (unsigned)c->index, (unsigned)c->index, c->index, c->subscription_id,
                c->resource_group, c->index, c->index, c->subscription_id, c->resource_group,
                c->index);
}

static void props_disk(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"osType\":\"Linux\",\"hyperVGeneration\":\"V1\",\"creationData\":"
                "{\"createOption\":\"FromImage\"},\"diskSizeGB\":30,\"diskIOPSReadWrite\":120,"
                "\"diskMBpsReadWrite\":25,\"encryption\":{\"type\":"
                "\"EncryptionAtRestWithPlatformKey\"},\"timeCreated\":"
                "\"2020-01-06T19:24:46.3139845+00:00\",\"provisioningState\":\"Succeeded\","
                "\"diskState\":\"%s\",\"diskSizeBytes\":32213303296,\"uniqueId\":"
                "\"%08x-3333-4000-8000-000000000000\"}",
                c->index % 5 ? "Attached" : "Unattached", (unsigned)c->index);
}

static void props_image(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"storageProfile\":{\"osDisk\":{\"osType\":\"Linux\",\"osState\":"
                "\"Generalized\",\"managedDisk\":{\"id\":\"/subscriptions/%s/resourceGroups/%s/"
                "providers/Microsoft.Compute/disks/disks-%d\"},\"caching\":\"ReadWrite\","
                "\"storageAccountType\":\"Standard_LRS\"},\"dataDisks\":[]},"
                "\"provisioningState\":\"Succeeded\",\"hyperVGeneration\":\"V1\"}",
                c->subscription_id, c->resource_group, c->index);
}

/* A child row (see fake_azure_gen.c): one extension per VM. */
static void props_vm_extension(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"autoUpgradeMinorVersion\":true,\"provisioningState\":\"Succeeded\","
                "\"publisher\":\"Microsoft.EnterpriseCloud.Monitoring\",\"type\":"
                "\"OmsAgentForLinux\",\"typeHandlerVersion\":\"1.%d\",\"settings\":"
                "{\"workspaceId\":\"3163dd53-3913-473c-9df6-7833f6a67214\"}}",
                c->index % 4);
}

static void props_storage(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"supportsHttpsTrafficOnly\":true,"
                "\"encryption\":{\"services\":{\"blob\":{\"enabled\":true},\"file\":{\"enabled\":"
                "true}},\"keySource\":\"Microsoft.Storage\"},\"primaryEndpoints\":{\"blob\":"
                "\"https://acct%d.blob.core.windows.net/\"},"
                /* read by rm-storage-resources */
                "\"allowBlobPublicAccess\":false,\"creationTime\":\"2020-07-21T16:12:56.2628136Z\","
                "\"networkAcls\":{\"bypass\":\"AzureServices\",\"virtualNetworkRules\":[],"
                "\"ipRules\":[],\"defaultAction\":\"Allow\"}}"
                /* `kind` is a top-level member: appended after the properties
                 * object (every 4th account has no queues or tables) */
                ",\"kind\":\"%s\"",
                c->index, c->index % 4 == 3 ? "BlobStorage" : "StorageV2");
}

/* Children of storage accounts (rm-storage-containers, -file-shares,
 * -queues, -tables). */
static void props_storage_container(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"publicAccess\":\"%s\",\"leaseStatus\":\"Unlocked\",\"leaseState\":"
                "\"Available\",\"lastModifiedTime\":\"2021-02-16T20:36:59.0000000Z\","
                "\"hasImmutabilityPolicy\":false,\"hasLegalHold\":false}",
                c->index % 3 == 0 ? "Container" : "None");
}

static void props_storage_share(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)c;
    (void)id;
    sbuf_puts(o, "{\"shareQuota\":5120,\"enabledProtocols\":\"SMB\",\"lastModifiedTime\":"
                 "\"2020-07-21T16:13:16.0000000Z\"}");
}

static void props_storage_queue(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)c;
    (void)id;
    sbuf_puts(o, "{\"metadata\":{}}");
}

static void props_storage_table(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)c;
    const char *name = id;   /* the last segment of the id */
    for (const char *p = id; *p; p++)
        if (*p == '/') name = p + 1;
    sbuf_printf(o, "{\"tableName\":\"%s\"}", name);
}

static void props_vnet(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"addressSpace\":{\"addressPrefixes\":"
                "[\"10.%d.0.0/16\"]},\"subnets\":[{\"id\":\"%s/subnets/default\",\"name\":"
                "\"default\",\"properties\":{\"addressPrefix\":\"10.%d.0.0/24\"}}]}",
                c->index % 256, id, c->index % 256);
}

/* Network (steps/network.c): resource i of each network type lives in the
 * same resource group, so NIC i uses public IP i, subnet "default" of
 * network i and security group i; group i protects NIC i and that subnet
 * and has a rule from the subnet's CIDR; load balancer i balances NIC i
 * (two IP configurations: one relationship); flow log of watcher i targets
 * group i. */
static void props_public_ip(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"publicIPAllocationMethod\":\"Static\","
                "\"ipAddress\":\"20.%d.%d.%d\",\"resourceGuid\":\"%08x-4444-4000-8000-000000000000\"}",
                (c->index >> 16) & 255, (c->index >> 8) & 255, c->index & 255, (unsigned)c->index);
}

static void props_nic(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    const char *s = c->subscription_id, *rg = c->resource_group;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"macAddress\":\"00-0D-3A-00-%02X-%02X\","
                "\"enableIPForwarding\":false,\"ipConfigurations\":[{\"name\":\"ipconfig1\","
                "\"id\":\"%s/ipConfigurations/ipconfig1\",\"properties\":{\"privateIPAddress\":"
                "\"10.%d.0.4\",\"publicIPAddress\":{\"id\":\"/subscriptions/%s/resourceGroups/%s/"
                "providers/Microsoft.Network/publicIPAddresses/publicipaddresses-%d\"},\"subnet\":"
                "{\"id\":\"/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                "virtualNetworks/virtualnetworks-%d/subnets/default\"}}}],\"networkSecurityGroup\":"
                "{\"id\":\"/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                "networkSecurityGroups/networksecuritygroups-%d\"}}",
                (c->index >> 8) & 255, c->index & 255, id, c->index % 256, s, rg, c->index, s, rg,
                c->index, s, rg, c->index);
}

static void props_nsg(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    const char *s = c->subscription_id, *rg = c->resource_group;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"securityRules\":[{\"name\":\"SSH\",\"id\":"
                "\"%s/securityRules/SSH\",\"properties\":{\"protocol\":\"Tcp\",\"sourcePortRange\":"
                "\"*\",\"destinationPortRange\":\"22\",\"sourceAddressPrefix\":\"*\","
                "\"destinationAddressPrefix\":\"*\",\"access\":\"Allow\",\"priority\":1001,"
                "\"direction\":\"Inbound\"}},{\"name\":\"subnet\",\"id\":\"%s/securityRules/subnet\","
                "\"properties\":{\"protocol\":\"Tcp\",\"sourcePortRange\":\"*\","
                "\"destinationPortRange\":\"443\",\"sourceAddressPrefix\":\"10.%d.0.0/24\","
                "\"destinationAddressPrefix\":\"*\",\"access\":\"Allow\",\"priority\":1002,"
                "\"direction\":\"Inbound\"}}],\"defaultSecurityRules\":[{\"name\":\"DenyAllInBound\","
                "\"id\":\"%s/defaultSecurityRules/DenyAllInBound\",\"properties\":{\"protocol\":\"*\","
                "\"sourcePortRange\":\"*\",\"destinationPortRange\":\"*\",\"sourceAddressPrefix\":"
                "\"*\",\"destinationAddressPrefix\":\"*\",\"access\":\"Deny\",\"priority\":65500,"
                "\"direction\":\"Inbound\"}}],\"networkInterfaces\":[{\"id\":\"/subscriptions/%s/"
                "resourceGroups/%s/providers/Microsoft.Network/networkInterfaces/"
                "networkinterfaces-%d\"}],\"subnets\":[{\"id\":\"/subscriptions/%s/resourceGroups/%s/"
                "providers/Microsoft.Network/virtualNetworks/virtualnetworks-%d/subnets/default\"}]}",
                id, id, c->index % 256, id, s, rg, c->index, s, rg, c->index);
}

static void props_lb(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    const char *s = c->subscription_id, *rg = c->resource_group;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"frontendIPConfigurations\":[{\"name\":"
                "\"fe\",\"id\":\"%s/frontendIPConfigurations/fe\",\"properties\":{"
                "\"privateIPAddress\":\"10.%d.0.10\",\"publicIPAddress\":{\"id\":\"/subscriptions/"
                "%s/resourceGroups/%s/providers/Microsoft.Network/publicIPAddresses/"
                "publicipaddresses-%d\"}}}],\"backendAddressPools\":[{\"name\":\"be\",\"id\":"
                "\"%s/backendAddressPools/be\",\"properties\":{\"backendIPConfigurations\":["
                "{\"id\":\"/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                "networkInterfaces/networkinterfaces-%d/ipConfigurations/ipconfig1\"},"
                "{\"id\":\"/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                "networkInterfaces/networkinterfaces-%d/ipConfigurations/ipconfig2\"}]}}]}",
                id, c->index % 256, s, rg, c->index, id, s, rg, c->index, s, rg, c->index);
}

static void props_firewall(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)c;
    (void)id;
    sbuf_puts(o, "{\"provisioningState\":\"Succeeded\",\"threatIntelMode\":\"Alert\","
                 "\"additionalProperties\":{\"Network.DNS.EnableProxy\":\"true\"},"
                 "\"ipConfigurations\":[],\"networkRuleCollections\":[]}");
}

static void props_flow_log(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"targetResourceId\":\"/subscriptions/%s/"
                "resourceGroups/%s/providers/Microsoft.Network/networkSecurityGroups/"
                "networksecuritygroups-%d\",\"storageId\":\"/subscriptions/%s/resourceGroups/%s/"
                "providers/Microsoft.Storage/storageAccounts/storageaccounts-%d\",\"enabled\":true,"
                "\"retentionPolicy\":{\"days\":30,\"enabled\":true}}",
                c->subscription_id, c->resource_group, c->index, c->subscription_id,
                c->resource_group, c->index);
}

static void props_vault(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"vaultUri\":\"https://vault%d.vault.azure."
                "net/\",\"enableSoftDelete\":true,\"sku\":{\"family\":\"A\",\"name\":\"standard\"}}",
                c->index);
}

/* Governance types (authorization, policy, monitor, security, advisor). */
static void props_role_assignment(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    static const char *const kinds[] = {"User", "Group", "ServicePrincipal"};
    sbuf_printf(o,
                "{\"roleDefinitionId\":\"/subscriptions/%s/providers/Microsoft.Authorization/"
                "roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7\",\"principalId\":"
                "\"%08x-2222-4000-8000-%012x\",\"principalType\":\"%s\",\"scope\":"
                "\"/subscriptions/%s/resourceGroups/%s\"}",
                c->subscription_id, (unsigned)c->index, (unsigned)c->index, kinds[c->index % 3],
                c->subscription_id, c->resource_group);
}

static void props_policy_assignment(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"displayName\":\"policy %d\",\"policyDefinitionId\":\"/providers/"
                "Microsoft.Authorization/policyDefinitions/def-%d\",\"scope\":\"/subscriptions/"
                "%s/resourceGroups/%s\",\"parameters\":{\"effect\":{\"value\":\"Audit\"}},"
                "\"metadata\":{\"createdOn\":\"2020-10-29T16:35:03.5371306Z\"},"
                "\"enforcementMode\":\"Default\"}",
                c->index, c->index % 7, c->subscription_id, c->resource_group);
}

static void props_recommendation(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    static const char *const impact[] = {"High", "Medium", "Low"};
    sbuf_printf(o,
                "{\"category\":\"Security\",\"impact\":\"%s\",\"impactedField\":"
                "\"Microsoft.Storage/storageAccounts\",\"impactedValue\":\"acct%d\","
                "\"lastUpdated\":\"2020-10-08T13:53:02.9719087Z\",\"shortDescription\":"
                "{\"problem\":\"p%d\",\"solution\":\"s%d\"},\"extendedProperties\":"
                "{\"score\":\"%d\"},\"resourceMetadata\":{\"resourceId\":\"/subscriptions/"
                "%s/resourcegroups/%s\"}}",
                impact[c->index % 3], c->index, c->index, c->index, c->index % 10,
                c->subscription_id, c->resource_group);
}

static void props_activity_log_alert(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"scopes\":[\"/subscriptions/%s\"],\"condition\":{\"allOf\":[{\"field\":"
                "\"category\",\"equals\":\"Administrative\",\"containsAny\":null}]},"
                "\"enabled\":true,\"description\":\"\"}",
                c->subscription_id);
}

static void props_pricing(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o, "{\"pricingTier\":\"%s\",\"freeTrialRemainingTime\":\"PT0S\"}",
                c->index % 2 ? "Free" : "Standard");
}

/* CDN, Batch, API Management, Event Grid (steps/cdn.c, batch.c,
 * api_management.c, event_grid.c). */
static void props_cdn_endpoint(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"hostName\":\"ep%d.azureedge.net\","
                "\"isHttpAllowed\":false,\"isHttpsAllowed\":true}",
                c->index);
}

static void props_apim_service(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"gatewayUrl\":\"https://apim%d.azure-api."
                "net\",\"publicIPAddresses\":[\"10.1.%d.%d\"],\"createdAtUtc\":"
                "\"2021-02-12T18:42:31.6531742Z\"}",
                c->index, (c->index / 256) % 256, c->index % 256);
}

static void props_apim_api(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o, "{\"displayName\":\"api %d\",\"path\":\"api/%d\",\"protocols\":[\"https\"]}",
                c->index, c->index);
}

/* Databases and Cosmos DB (steps/databases_*.c, cosmosdb.c): servers of
 * every engine, their children (one per server), Cosmos DB accounts and
 * their SQL databases. */
static void props_db_server(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"administratorLogin\":\"dbadmin\",\"version\":\"11\",\"state\":\"Ready\","
                "\"userVisibleState\":\"Ready\",\"fullyQualifiedDomainName\":"
                "\"server-%d.database.example\",\"sslEnforcement\":\"%s\",\"storageProfile\":"
                "{\"storageMB\":5120,\"backupRetentionDays\":7,\"geoRedundantBackup\":"
                "\"Disabled\",\"storageAutogrow\":\"Disabled\"}}",
                c->index, c->index % 2 ? "Enabled" : "Disabled");
}

static void props_db_database(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)c;
    (void)id;
    sbuf_puts(o, "{\"charset\":\"utf8\",\"collation\":\"utf8_general_ci\",\"status\":\"Online\"}");
}

static void props_db_firewall_rule(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o, "{\"startIpAddress\":\"10.%d.0.0\",\"endIpAddress\":\"10.%d.255.255\"}",
                c->index % 256, c->index % 256);
}

static void props_sql_admin(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"administratorType\":\"ActiveDirectory\",\"login\":\"admin-%d\",\"sid\":"
                "\"%08x-5555-4000-8000-000000000000\",\"tenantId\":"
                "\"992d7bbe-b367-459c-a10f-cf3fd16103ab\"}",
                c->index, (unsigned)c->index);
}

static void props_pg_configuration(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o, "{\"value\":\"%s\",\"dataType\":\"Boolean\",\"source\":\"system-default\"}",
                c->index % 2 ? "on" : "off");
}

static void props_cosmos_account(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"documentEndpoint\":"
                "\"https://account-%d.documents.example:443/\",\"ipRangeFilter\":\"\","
                "\"enableAutomaticFailover\":false,\"enableMultipleWriteLocations\":false,"
                "\"isVirtualNetworkFilterEnabled\":false,\"databaseAccountOfferType\":"
                "\"Standard\",\"readLocations\":[{\"locationName\":\"East US\","
                "\"documentEndpoint\":\"https://account-%d-eastus.documents.example:443/\"}]}",
                c->index, c->index);
}

static void props_cosmos_sql_database(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o, "{\"resource\":{\"id\":\"db-%d\",\"_rid\":\"rid%d\"}}", c->index, c->index);
}

/* Platform services (dns, private dns, container registry / instance,
 * service bus, redis). */
static void props_dns_zone(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"maxNumberOfRecordSets\":10000,\"numberOfRecordSets\":%d,\"nameServers\":"
                "[\"ns1-%02d.azure-dns.com.\"],\"zoneType\":\"Public\"}",
                2 + c->index % 3, c->index % 10);
}

static void props_dns_record_set(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"fqdn\":\"host%d.example.com.\",\"TTL\":300,\"ARecords\":[{\"ipv4Address\":"
                "\"10.0.%d.1\"}],\"targetResource\":{},\"provisioningState\":\"Succeeded\"}",
                c->index, c->index % 256);
}

static void props_private_dns_record_set(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"fqdn\":\"host%d.internal.\",\"ttl\":3600,\"aRecords\":[{\"ipv4Address\":"
                "\"10.1.%d.1\"}],\"isAutoRegistered\":false}",
                c->index, c->index % 256);
}

static void props_registry(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"loginServer\":\"registry%d.azurecr.io\",\"creationDate\":"
                "\"2021-02-12T18:42:32.5637811Z\",\"provisioningState\":\"Succeeded\","
                "\"adminUserEnabled\":false,\"encryption\":{\"status\":\"%s\"}}",
                c->index, c->index % 2 ? "enabled" : "disabled");
}

static void props_registry_webhook(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)c;
    (void)id;
    sbuf_puts(o, "{\"status\":\"enabled\",\"scope\":\"\",\"actions\":[\"push\"],"
                 "\"provisioningState\":\"Succeeded\"}");
}

static void props_container_group(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"sku\":\"Standard\",\"provisioningState\":\"Succeeded\",\"osType\":\"Linux\","
                "\"restartPolicy\":\"Always\",\"containers\":[{\"name\":\"app\",\"properties\":"
                "{\"image\":\"nginx\",\"command\":[],\"volumeMounts\":[{\"name\":\"data\","
                "\"mountPath\":\"/data\",\"readOnly\":false}]}},{\"name\":\"sidecar\","
                "\"properties\":{\"image\":\"busybox\"}}],\"volumes\":[{\"name\":\"data\","
                "\"azureFile\":{\"shareName\":\"share%d\",\"storageAccountName\":\"acct%d\"}}]}",
                c->index, c->index);
}

static void props_service_bus(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"createdAt\":\"2020-09-15T19:29:34.723Z\",\"updatedAt\":"
                "\"2020-09-15T19:30:18.757Z\",\"status\":\"Active\",\"maxSizeInMegabytes\":%d}",
                1024 * (1 + c->index % 4));
}

static void props_redis(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"hostName\":\"cache%d.redis.cache."
                "windows.net\",\"port\":6379,\"sslPort\":6380,\"enableNonSslPort\":false,"
                "\"redisVersion\":\"4.0.14\"}",
                c->index);
}

static void props_redis_firewall_rule(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o, "{\"startIP\":\"10.2.%d.1\",\"endIP\":\"10.2.%d.9\"}", c->index % 256,
                c->index % 256);
}

const fake_gen_type fake_gen_types[] = {
    {"Microsoft.Compute/virtualMachines", "2019-07-01", props_vm},
    {"Microsoft.Compute/virtualMachines/extensions", "2019-07-01", props_vm_extension},
    {"Microsoft.Compute/disks", "2019-11-01", props_disk},
    {"Microsoft.Compute/images", "2019-07-01", props_image},
    {"Microsoft.Network/virtualNetworks", "2020-05-01", props_vnet},
    {"Microsoft.Network/networkSecurityGroups", "2019-12-01", props_nsg},
    {"Microsoft.Network/networkInterfaces", "2019-12-01", props_nic},
    {"Microsoft.Network/publicIPAddresses", "2019-12-01", props_public_ip},
    {"Microsoft.Network/loadBalancers", "2019-12-01", props_lb},
    {"Microsoft.Network/azureFirewalls", "2019-12-01", props_firewall},
    {"Microsoft.Network/networkWatchers", "2019-12-01", props_empty},
    {"Microsoft.Network/networkWatchers/flowLogs", "2019-12-01", props_flow_log},
    {"Microsoft.Storage/storageAccounts", "2019-06-01", props_storage},
    {"Microsoft.Storage/storageAccounts/blobServices/default/containers", "2019-06-01",
     props_storage_container},
    {"Microsoft.Storage/storageAccounts/fileServices/default/shares", "2019-06-01",
     props_storage_share},
    {"Microsoft.Storage/storageAccounts/queueServices/default/queues", "2019-06-01",
     props_storage_queue},
    {"Microsoft.Storage/storageAccounts/tableServices/default/tables", "2019-06-01",
     props_storage_table},
    {"Microsoft.KeyVault/vaults", "2019-09-01", props_vault},
    {"Microsoft.Sql/servers", "2015-05-01-preview", props_db_server},
    {"Microsoft.Sql/servers/databases", "2017-10-01-preview", props_db_database},
    {"Microsoft.Sql/servers/firewallRules", "2014-04-01", props_db_firewall_rule},
    {"Microsoft.Sql/servers/administrators", "2014-04-01", props_sql_admin},
    {"Microsoft.DBforMySQL/servers", "2017-12-01", props_db_server},
    {"Microsoft.DBforMySQL/servers/databases", "2017-12-01", props_db_database},
    {"Microsoft.DBforMariaDB/servers", "2018-06-01", props_db_server},
    {"Microsoft.DBforMariaDB/servers/databases", "2018-06-01", props_db_database},
    {"Microsoft.DBforPostgreSQL/servers", "2017-12-01", props_db_server},
    {"Microsoft.DBforPostgreSQL/servers/databases", "2017-12-01", props_db_database},
    {"Microsoft.DBforPostgreSQL/servers/firewallRules", "2017-12-01", props_db_firewall_rule},
    {"Microsoft.DBforPostgreSQL/servers/configurations", "2017-12-01", props_pg_configuration},
    {"Microsoft.DocumentDB/databaseAccounts", "2019-08-01", props_cosmos_account},
    {"Microsoft.DocumentDB/databaseAccounts/sqlDatabases", "2019-08-01", props_cosmos_sql_database},
    {"Microsoft.Authorization/roleAssignments", "2018-09-01-preview", props_role_assignment},
    {"Microsoft.Authorization/policyAssignments", "2019-09-01", props_policy_assignment},
    {"Microsoft.Advisor/recommendations", "2020-01-01", props_recommendation},
    {"microsoft.insights/activityLogAlerts", "2017-04-01", props_activity_log_alert},
    {"Microsoft.Security/pricings", "2018-06-01", props_pricing},
    {"Microsoft.Cdn/profiles", "2020-04-15", props_empty},
    {"Microsoft.Cdn/profiles/endpoints", "2020-04-15", props_cdn_endpoint},
    {"Microsoft.Batch/batchAccounts", "2017-09-01", props_empty},
    {"Microsoft.Batch/batchAccounts/pools", "2017-09-01", props_empty},
    {"Microsoft.Batch/batchAccounts/certificates", "2017-09-01", props_empty},
    {"Microsoft.ApiManagement/service", "2019-12-01", props_apim_service},
    {"Microsoft.ApiManagement/service/apis", "2019-12-01", props_apim_api},
    {"Microsoft.EventGrid/domains", "2020-06-01", props_empty},
    {"Microsoft.EventGrid/domains/topics", "2020-06-01", props_empty},
    {"Microsoft.EventGrid/topics", "2020-06-01", props_empty},
    {"Microsoft.Network/dnszones", "2018-05-01", props_dns_zone},
    {"Microsoft.Network/dnszones/recordsets", "2018-05-01", props_dns_record_set},
    {"Microsoft.Network/privateDnsZones", "2018-09-01", props_dns_zone},
    {"Microsoft.Network/privateDnsZones/ALL", "2018-09-01", props_private_dns_record_set},
    {"Microsoft.ContainerRegistry/registries", "2019-12-01-preview", props_registry},
    {"Microsoft.ContainerRegistry/registries/webhooks", "2019-12-01-preview",
     props_registry_webhook},
    {"Microsoft.ContainerInstance/containerGroups", "2019-12-01", props_container_group},
    {"Microsoft.ServiceBus/namespaces", "2017-04-01", props_service_bus},
    {"Microsoft.ServiceBus/namespaces/queues", "2017-04-01", props_service_bus},
    {"Microsoft.ServiceBus/namespaces/topics", "2017-04-01", props_service_bus},
    {"Microsoft.Cache/Redis", "2019-07-01", props_redis},
    {"Microsoft.Cache/Redis/firewallRules", "2019-07-01", props_redis_firewall_rule},
};
const size_t fake_gen_type_count = sizeof fake_gen_types / sizeof fake_gen_types[0];

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

static void props_vm(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"vmId\":\"%08x-1111-4000-8000-%012x\","
                "\"hardwareProfile\":{\"vmSize\":\"Standard_B1s\"},"
                "\"storageProfile\":{\"osDisk\":{\"osType\":\"Linux\",\"name\":\"osdisk-%d\"}},"
                "\"osProfile\":{\"computerName\":\"vm-%d\",\"adminUsername\":\"azureuser\"},"
                "\"networkProfile\":{\"networkInterfaces\":[]}}",
                (unsigned)c->index, (unsigned)c->index, c->index, c->index);
}

static void props_storage(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"supportsHttpsTrafficOnly\":true,"
                "\"encryption\":{\"services\":{\"blob\":{\"enabled\":true},\"file\":{\"enabled\":"
                "true}},\"keySource\":\"Microsoft.Storage\"},\"primaryEndpoints\":{\"blob\":"
                "\"https://acct%d.blob.core.windows.net/\"}}",
                c->index);
}

static void props_vnet(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"addressSpace\":{\"addressPrefixes\":"
                "[\"10.%d.0.0/16\"]},\"subnets\":[{\"id\":\"%s/subnets/default\",\"name\":"
                "\"default\",\"properties\":{\"addressPrefix\":\"10.%d.0.0/24\"}}]}",
                c->index % 256, id, c->index % 256);
}

static void props_vault(sbuf *o, const fake_gen_item_ctx *c, const char *id) {
    (void)id;
    sbuf_printf(o,
                "{\"provisioningState\":\"Succeeded\",\"vaultUri\":\"https://vault%d.vault.azure."
                "net/\",\"enableSoftDelete\":true,\"sku\":{\"family\":\"A\",\"name\":\"standard\"}}",
                c->index);
}

const fake_gen_type fake_gen_types[] = {
    {"Microsoft.Compute/virtualMachines", "2019-07-01", props_vm},
    {"Microsoft.Compute/disks", "2019-07-01", props_empty},
    {"Microsoft.Network/virtualNetworks", "2020-05-01", props_vnet},
    {"Microsoft.Network/networkSecurityGroups", "2020-05-01", props_empty},
    {"Microsoft.Network/networkInterfaces", "2020-05-01", props_empty},
    {"Microsoft.Network/publicIPAddresses", "2020-05-01", props_empty},
    {"Microsoft.Storage/storageAccounts", "2019-06-01", props_storage},
    {"Microsoft.KeyVault/vaults", "2019-09-01", props_vault},
    {"Microsoft.Sql/servers", "2014-04-01", props_empty},
};
const size_t fake_gen_type_count = sizeof fake_gen_types / sizeof fake_gen_types[0];

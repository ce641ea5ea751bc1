/*
 * Compute steps and the compute-network relationships against the
 * recordings, through the fake Azure server, run on the engine (see
 * tests/steps_governance/gov_case.h).  Each case compares what its last
 * step produced with expected/<step>.json exactly; derive_expected.py
 * derives those files from the recordings and the seeds below following
 * docs/spec/azure-sources/part-b §1 and the reference's interservice step.
 * Seeded keys are cased differently from the ids Azure returns where the
 * recordings allow it, to prove case-insensitive resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define AD_HAR "steps/active-directory/__recordings__/active-directory-steps_52759203/recording.har"
#define COMPUTE "steps/resource-manager/compute/__recordings__/"
#define VM_HAR COMPUTE "rm-compute-virtual-machines_2119333431/recording.har"
#define EXT_HAR COMPUTE "rm-compute-virtual-machine-extensions_2158791775/recording.har"
#define DISK_HAR COMPUTE "iterateVirtualMachineDisks_438678801/recording.har"
/* synthesized (images are not recorded), relative to the recordings dir */
#define IMAGE_HAR "../../steps_rm_compute/recordings/images.har"
#define SUB_D "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
#define SUB_DC "dccea45f-7035-4a17-8731-1fd46aaa74a0"
#define EXPECTED(step) "tests/steps_rm_compute/expected/" step ".json"

#define SEED_RG(sub, name)                                                                        \
    "{\"_key\":\"/subscriptions/" sub "/resourceGroups/" name "\",\"_type\":"                    \
    "\"azure_resource_group\",\"_class\":[\"Group\"],\"name\":\"" name "\",\"displayName\":\"" name \
    "\"}"

#define DISK_KEY(sub, rg, name) "/subscriptions/" sub "/resourceGroups/" rg "/providers/Microsoft.Compute/disks/" name
#define SEED_DISK(key)                                                                            \
    "{\"_key\":\"" key "\",\"_type\":\"azure_managed_disk\",\"_class\":[\"DataStore\",\"Disk\"]," \
    "\"name\":\"d\",\"displayName\":\"d\",\"encrypted\":true,\"classification\":null}"

#define NIC_ID(rg, name) "/subscriptions/" SUB_D "/resourceGroups/" rg "/providers/Microsoft.Network/networkInterfaces/" name
#define SUBNET_ID(rg) "/subscriptions/" SUB_D "/resourceGroups/" rg "/providers/Microsoft.Network/virtualNetworks/j1dev/subnets/j1dev"
#define SUBNET2_ID "/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/Microsoft.Network/virtualNetworks/j1dev/subnets/other"
#define PIP_ID(rg, name) "/subscriptions/" SUB_D "/resourceGroups/" rg "/providers/Microsoft.Network/publicIPAddresses/" name

static void test_virtual_machines(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-compute-virtual-machines"),
                  .hars = {AD_HAR, VM_HAR},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "J1DEV")},
                  .steps = {"ad-account", "rm-compute-virtual-machines"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_vm"), 3);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_resource_group_has_vm"), 3);
    /* _rawData is the SDK object: properties hoisted */
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type")), "azure_vm"))
            continue;
        const cJSON *raw = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "_rawData"), 0), "rawData");
        assert_non_null(cJSON_GetObjectItemCaseSensitive(raw, "storageProfile"));
        assert_null(cJSON_GetObjectItemCaseSensitive(raw, "properties"));
    }
    cJSON_Delete(out);
}

static void test_virtual_machines_403_fails_step_with_permission(void **state)
{
    (void)state;
    char error[512] = "";
    gov_case c = {.hars = {AD_HAR, VM_HAR},
                  .subscription = SUB_D,
                  .faults = {{"/providers/Microsoft.Compute/virtualMachines?", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The client "
                              "does not have authorization to perform action "
                              "'Microsoft.Compute/virtualMachines/read'\"}}"}},
                  .steps = {"ad-account", "rm-compute-virtual-machines"},
                  .failing_step = "rm-compute-virtual-machines"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "403"));
    assert_non_null(strstr(error, "Microsoft.Compute/virtualMachines"));
    assert_int_equal(gov_graph_count(out, "entities", "azure_vm"), 0);
    /* only that step failed: the account is there */
    assert_int_equal(gov_graph_count(out, "entities", "azure_account"), 1);
    cJSON_Delete(out);
}

static void test_disks(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-compute-virutal-machine-disks"),
                  .hars = {AD_HAR, DISK_HAR},
                  .subscription = SUB_DC,
                  .seed = {SEED_RG(SUB_DC, "j1dev")},
                  .steps = {"ad-account", "rm-compute-virutal-machine-disks"}};
    gov_case_run(&c, NULL, NULL, 0);
}

/* 404 on the disk list: a warning, the step succeeds with nothing. */
static void test_disks_404_is_empty(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR, DISK_HAR},
                  .subscription = SUB_DC,
                  .faults = {{"/providers/Microsoft.Compute/disks?", 404,
                              "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"none\"}}"}},
                  .steps = {"ad-account", "rm-compute-virutal-machine-disks"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_managed_disk"), 0);
    cJSON_Delete(out);
}

static void test_images(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-compute-virtual-machine-images"),
                  .hars = {AD_HAR, IMAGE_HAR},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "j1dev")},
                  .steps = {"ad-account", "rm-compute-virtual-machine-images"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_disk_relationships(void **state)
{
    (void)state;
    gov_case c = {
        .expected = EXPECTED("rm-compute-virtual-machine-disk-relationships"),
        .hars = {AD_HAR, VM_HAR},
        .subscription = SUB_D,
        .seed = {/* the VM says resourceGroups/j1dev */
                 SEED_DISK(DISK_KEY(SUB_D, "J1DEV", "j1dev_OsDisk_1_fbe4fa95c1df46038f280eb2a23f1e86")),
                 SEED_DISK(DISK_KEY(SUB_D, "J1DEV", "non-managed-data-disk-cmk")),
                 /* the OS disk of non-managed-data is not ingested: warning only */
                 "{\"_key\":\"/subscriptions/" SUB_D "/resourceGroups/J1DEV/providers/"
                 "Microsoft.Storage/storageAccounts/ndowmon1j1dev\",\"_type\":"
                 "\"azure_storage_account\",\"_class\":[\"Service\",\"DataStore\"],\"name\":"
                 "\"ndowmon1j1dev\",\"displayName\":\"ndowmon1j1dev\",\"encrypted\":true,"
                 "\"classification\":null,\"_rawData\":[{\"name\":\"default\",\"rawData\":{"
                 "\"primaryEndpoints\":{\"blob\":\"https://ndowmon1j1dev.blob.core.windows.net/\"}}}]}",
                 /* no blob endpoint: skipped with a warning */
                 "{\"_key\":\"/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/"
                 "Microsoft.Storage/storageAccounts/nothing\",\"_type\":"
                 "\"azure_storage_account\",\"_class\":[\"Service\",\"DataStore\"],\"name\":"
                 "\"nothing\",\"displayName\":\"nothing\",\"encrypted\":true,"
                 "\"classification\":null}"},
        .steps = {"ad-account", "rm-compute-virtual-machines",
                  "rm-compute-virtual-machine-disk-relationships"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_extensions(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-compute-virtual-machine-extensions"),
                  .hars = {AD_HAR, EXT_HAR},
                  .subscription = SUB_D,
                  .steps = {"ad-account", "rm-compute-virtual-machines",
                            "rm-compute-virtual-machine-extensions"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    /* one shared extension entity, one use per VM */
    assert_int_equal(gov_graph_count(out, "entities", "azure_vm_extension"), 1);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_vm_uses_extension"), 3);
    cJSON_Delete(out);
}

static void test_compute_network_relationships(void **state)
{
    (void)state;
    gov_case c = {
        .expected = EXPECTED("rm-compute-network-relationships"),
        .hars = {AD_HAR, VM_HAR},
        .subscription = SUB_D,
        .seed =
            {/* j1dev's NIC, stored with another case; one configuration with a
                subnet (ingested, other case) and a public IP (ingested) */
             "{\"_key\":\"" NIC_ID("J1DEV", "J1DEV") "\",\"_type\":\"azure_nic\",\"_class\":"
             "[\"NetworkInterface\"],\"name\":\"j1dev\",\"displayName\":\"j1dev\",\"_rawData\":["
             "{\"name\":\"default\",\"rawData\":{\"id\":\"" NIC_ID("J1DEV", "J1DEV") "\","
             "\"ipConfigurations\":[{\"name\":\"ipconfig1\",\"properties\":{\"privateIPAddress\":"
             "\"10.0.2.4\",\"subnet\":{\"id\":\"" SUBNET_ID("j1dev") "\"},\"publicIPAddress\":"
             "{\"id\":\"" PIP_ID("j1dev", "j1dev") "\"}}}]}}]}",
             /* non-managed-data's NIC: two configurations in one subnet that
                is not ingested (one subnet relationship, raw id), the second
                with a public IP that is not ingested either */
             "{\"_key\":\"" NIC_ID("j1dev", "non-managed-data544") "\",\"_type\":\"azure_nic\","
             "\"_class\":[\"NetworkInterface\"],\"name\":\"n\",\"displayName\":\"n\",\"_rawData\":["
             "{\"name\":\"default\",\"rawData\":{\"ipConfigurations\":[{\"name\":\"a\","
             "\"properties\":{\"subnet\":{\"id\":\"" SUBNET2_ID "\"}}},{\"name\":"
             "\"b\",\"properties\":{\"subnet\":{\"id\":\"" SUBNET2_ID "\"},"
             "\"publicIPAddress\":{\"id\":\"" PIP_ID("j1dev", "gone") "\"}}}]}}]}",
             "{\"_key\":\"" SUBNET_ID("J1DEV") "\",\"_type\":\"azure_subnet\",\"_class\":"
             "[\"Network\"],\"name\":\"j1dev\",\"displayName\":\"j1dev\",\"CIDR\":\"10.0.2.0/24\","
             "\"internal\":true,\"public\":false}",
             "{\"_key\":\"" PIP_ID("j1dev", "j1dev") "\",\"_type\":\"azure_public_ip\",\"_class\":"
             "[\"IpAddress\"],\"name\":\"j1dev\",\"displayName\":\"j1dev\",\"ipAddress\":\"20.1.2.3\"}"},
        /* non-managed-os's NIC is not ingested: nothing for that VM */
        .steps = {"ad-account", "rm-compute-virtual-machines", "rm-compute-network-relationships"}};
    gov_case_run(&c, NULL, NULL, 0);
}

/* A generated tenant (tests/fakes/fake_azure_gen_types.c): VM i uses disk i
 * and NIC i of its resource group and has one of 4 shared extensions. */
static void test_generated_compute(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 3, .resources = 25};
    gov_case c = {.tenant = &t,
                  .steps = {"ad-account", "rm-compute-virtual-machine-images",
                            "rm-compute-virutal-machine-disks", "rm-compute-virtual-machines",
                            "rm-compute-virtual-machine-disk-relationships",
                            "rm-compute-virtual-machine-extensions"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_image"), 50);
    assert_int_equal(gov_graph_count(out, "entities", "azure_managed_disk"), 50);
    assert_int_equal(gov_graph_count(out, "entities", "azure_vm"), 50);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_vm_uses_managed_disk"), 50);
    assert_int_equal(gov_graph_count(out, "entities", "azure_vm_extension"), 4);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_vm_uses_extension"), 50);
    cJSON_Delete(out);
}

/* Generated tenant through the network steps: VM i uses NIC i, which is in
 * the default subnet of virtual network i and has public IP i. */
static void test_generated_compute_network(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 3, .resources = 12};
    gov_case c = {.tenant = &t,
                  .steps = {"ad-account", "rm-compute-virtual-machines", "rm-network-ip-addresses",
                            "rm-network-interfaces", "rm-network-virtual-networks",
                            "rm-compute-network-relationships"},
                  /* the generated fake has no diagnostic settings: none */
                  .faults = {{"/providers/microsoft.insights/diagnosticSettings", 200,
                              "{\"value\":[]}"}}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_vm"), 24);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_vm_uses_nic"), 24);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_vm_uses_public_ip"), 24);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_subnet_has_vm"), 24);
    /* the subnets are ingested: each relationship starts at a stored subnet */
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "relationships"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "_type")),
                   "azure_subnet_has_vm") != 0)
            continue;
        const char *from =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "_fromEntityKey"));
        bool found = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
        {
            if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_key")), from) == 0)
                found = true;
        }
        assert_true(found);
    }
    cJSON_Delete(out);
}

/* More disks than one ARM page (1000): every page is followed (the
 * reference read only the first page of disks.list()). */
static void test_disks_follow_next_link(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 1, .resource_groups = 2, .resources = 1003};
    gov_case c = {.tenant = &t, .steps = {"ad-account", "rm-compute-virutal-machine-disks"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_managed_disk"), 1003);
    cJSON_Delete(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtual_machines),
        cmocka_unit_test(test_virtual_machines_403_fails_step_with_permission),
        cmocka_unit_test(test_disks),
        cmocka_unit_test(test_disks_404_is_empty),
        cmocka_unit_test(test_images),
        cmocka_unit_test(test_disk_relationships),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_compute_network_relationships),
        cmocka_unit_test(test_generated_compute),
        cmocka_unit_test(test_generated_compute_network),
        cmocka_unit_test(test_disks_follow_next_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

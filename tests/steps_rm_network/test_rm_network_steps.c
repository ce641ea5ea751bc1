/*
 * Network steps against the recordings, through the fake Azure server, run
 * on the engine (see tests/steps_governance/gov_case.h).  Each case
 * compares what its last step produced with expected/<case>.json exactly;
 * derive_expected.py derives those files from the recordings and the seeds
 * below following docs/spec/azure-sources/part-b §5 and the reference.
 * Seeded resource groups and storage accounts are keyed with a different
 * case than the ids Azure returns, to prove case-insensitive resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AD_HAR "steps/active-directory/__recordings__/active-directory-steps_52759203/recording.har"
#define NET "steps/resource-manager/network/__recordings__/"
#define NET_HAR NET "network-steps_2570137323/recording.har"
#define FW_HAR NET "resource-manager-step-azure-firewalls_3370215710/recording.har"
#define WATCHERS_HAR NET "rm-network-watchers_532923575/recording.har"
#define FLOW_HAR NET "rm-network-flow-logs_1050087510/recording.har"
#define LOC_HAR NET "rm-network-location-watcher-relationships_2182636970/recording.har"
/* synthesized: security rules of every target kind (not recorded) */
#define RULES_HAR "../../steps_rm_network/recordings/security-rules.har"
#define SUB_8 "87f62f44-9dad-4284-a08f-f2fb3d8b528a"
#define SUB_D "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
#define EXPECTED(name) "tests/steps_rm_network/expected/" name ".json"

#define SEED_RG(sub, name)                                                                        \
    "{\"_key\":\"/subscriptions/" sub "/resourceGroups/" name "\",\"_type\":"                    \
    "\"azure_resource_group\",\"_class\":[\"Group\"],\"name\":\"" name "\",\"displayName\":\"" name \
    "\"}"
/* the group as rm-resources-resource-groups keys it, Azure's name in a
 * different case than the resource ids use */
#define SEED_RG_KEYED(sub, key_name, name)                                                        \
    "{\"_key\":\"/subscriptions/" sub "/resourceGroups/" key_name "\",\"_type\":"                \
    "\"azure_resource_group\",\"_class\":[\"Group\"],\"name\":\"" name "\",\"displayName\":\"" name \
    "\"}"
#define SEED_STORAGE(sub, rg, name)                                                               \
    "{\"_key\":\"/subscriptions/" sub "/resourceGroups/" rg "/providers/Microsoft.Storage/"      \
    "storageAccounts/" name "\",\"_type\":\"azure_storage_account\",\"_class\":[\"Service\"],"   \
    "\"name\":\"" name "\",\"displayName\":\"" name "\"}"
#define SEED_LOCATION(sub, name)                                                                  \
    "{\"_key\":\"/subscriptions/" sub "/locations/" name "\",\"_type\":\"azure_location\","      \
    "\"_class\":[\"Site\"],\"name\":\"" name "\",\"displayName\":\"" name "\",\"id\":"           \
    "\"/subscriptions/" sub "/locations/" name "\"}"

/* A case that is only its table: run, graph compared with its expected. */
static void run_case(void **state)
{
    gov_case_run(*state, NULL, NULL, 0);
}

#define GOV_CASE_TEST(name) {#name, run_case, NULL, NULL, (void *)&name##_case}

static const gov_case test_public_ips_case = {
    .expected = EXPECTED("rm-network-ip-addresses"),
    .hars = {AD_HAR, NET_HAR},
    .subscription = SUB_8,
    .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev"),
             SEED_STORAGE(SUB_8, "J1DEV", "KEIONNEDJ1DEV")},
    .steps = {"ad-account", "rm-network-ip-addresses"}
};

static void test_network_interfaces(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-network-interfaces"),
                  .hars = {AD_HAR, NET_HAR},
                  .subscription = SUB_8,
                  .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev")},
                  .steps = {"ad-account", "rm-network-ip-addresses", "rm-network-interfaces"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_nic"), 1);
    cJSON_Delete(out);
}

static const gov_case test_security_groups_case = {
    .expected = EXPECTED("rm-network-security-groups"),
    .hars = {AD_HAR, NET_HAR},
    .subscription = SUB_8,
    .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev"),
             SEED_STORAGE(SUB_8, "J1DEV", "KEIONNEDJ1DEV")},
    .steps = {"ad-account", "rm-network-security-groups"}
};

static const gov_case test_virtual_networks_case = {
    .expected = EXPECTED("rm-network-virtual-networks"),
    .hars = {AD_HAR, NET_HAR},
    .subscription = SUB_8,
    .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev"),
             SEED_STORAGE(SUB_8, "J1DEV", "KEIONNEDJ1DEV")},
    .steps = {"ad-account", "rm-network-security-groups",
              "rm-network-virtual-networks"}
};

/* tagProperties ["environment"] of security groups (SDK assignTags): key
 * matched case-insensitively, value lower-cased, an empty value is no tag.
 * The group list is answered with the recorded group (its diagnostic
 * settings still from the recording) carrying the given tags. */
#define TAGGED_NSG(tags)                                                                          \
    "{\"value\":[{\"id\":\"/subscriptions/" SUB_8 "/resourceGroups/j1dev/providers/"           \
    "Microsoft.Network/networkSecurityGroups/j1dev\",\"name\":\"j1dev\",\"type\":"              \
    "\"Microsoft.Network/networkSecurityGroups\",\"location\":\"eastus\",\"tags\":" tags       \
    ",\"properties\":{\"securityRules\":[],\"defaultSecurityRules\":[]}}]}"

static void test_security_group_environment_tag(void **state)
{
    (void)state;
    static const struct {
        const char *tags, *environment;
    } cases[] = {{"{\"Environment\":\"Prod\"}", "prod"}, {"{\"environment\":\"\"}", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body, TAGGED_NSG("%s"), cases[i].tags);
        gov_case c = {.hars = {AD_HAR, NET_HAR},
                      .subscription = SUB_8,
                      .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev")},
                      .faults = {{"/providers/Microsoft.Network/networkSecurityGroups?", 200,
                                  body}},
                      .steps = {"ad-account", "rm-network-security-groups"}};
        cJSON *out = NULL;
        gov_case_run(&c, &out, NULL, 0);
        const cJSON *nsg = NULL, *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
        {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type"));
            if (type && strcmp(type, "azure_security_group") == 0)
                nsg = e;
        }
        assert_non_null(nsg);
        const cJSON *env = cJSON_GetObjectItemCaseSensitive(nsg, "environment");
        if (cases[i].environment) {
            assert_true(cJSON_IsString(env));
            assert_string_equal(env->valuestring, cases[i].environment);
        } else {
            assert_null(env);
        }
        cJSON_Delete(out);
    }
}

static void test_security_group_rules(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-network-security-group-rules"),
                  .hars = {AD_HAR, NET_HAR},
                  .subscription = SUB_8,
                  .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev")},
                  .steps = {"ad-account", "rm-network-security-groups",
                            "rm-network-virtual-networks", "rm-network-security-group-rules"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    /* priv_one (10.0.3.0/24, inbound) reaches the two subnets of that CIDR */
    int to_sg = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "relationships"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "_type"));
        const char *to = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "_toEntityKey"));
        if (strcmp(type, "azure_security_group_rule") == 0 && to && strstr(to, "networkSecurityGroups"))
            to_sg++;
    }
    assert_int_equal(to_sg, 2);
    cJSON_Delete(out);
}

/* A synthesized group with hosts, public and private ranges, service tags
 * with dots and several destination port ranges, inbound and outbound. */
static const gov_case test_security_group_rule_targets_case = {
    .expected = EXPECTED("rm-network-security-group-rules-targets"),
    .hars = {AD_HAR, RULES_HAR},
    .subscription = SUB_8,
    .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev")},
    .steps = {"ad-account", "rm-network-security-groups",
              "rm-network-virtual-networks", "rm-network-security-group-rules"}
};

static const gov_case test_load_balancers_case = {
    .expected = EXPECTED("rm-network-load-balancers"),
    .hars = {AD_HAR, NET_HAR},
    .subscription = SUB_8,
    .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev"),
             SEED_STORAGE(SUB_8, "J1DEV", "KEIONNEDJ1DEV")},
    .steps = {"ad-account", "rm-network-load-balancers"}
};

static const gov_case test_azure_firewalls_case = {
    .expected = EXPECTED("rm-network-azure-firewalls"),
    .hars = {AD_HAR, FW_HAR},
    .subscription = SUB_8,
    .seed = {SEED_RG(SUB_8, "j1dev")},
    .steps = {"ad-account", "rm-network-azure-firewalls"}
};

static const gov_case test_watchers_case = {
    .expected = EXPECTED("rm-network-watchers"),
    .hars = {AD_HAR, WATCHERS_HAR},
    .subscription = SUB_D,
    .seed = {SEED_RG(SUB_D, "NetworkWatcherRG")},
    .steps = {"ad-account", "rm-network-watchers"}
};

#define SEED_SUB(guid)                                                                            \
    "{\"_key\":\"/subscriptions/" guid "\",\"_type\":\"azure_subscription\",\"_class\":"         \
    "[\"Account\"],\"name\":\"sub\",\"displayName\":\"sub\",\"subscriptionId\":\"" guid "\"}"

/* The watchers' locations through the name map rm-subscription-locations
 * stores (the reference's locationNameMap). */
static const gov_case test_location_watchers_case = {
    .expected = EXPECTED("rm-network-location-watcher-relationships"),
    .hars = {AD_HAR, LOC_HAR},
    .subscription = SUB_D,
    .seed = {SEED_SUB(SUB_D), SEED_RG(SUB_D, "NetworkWatcherRG"),
             SEED_RG(SUB_D, "j1dev"), SEED_RG(SUB_D, "DefaultResourceGroup-EUS")},
    .steps = {"ad-account", "rm-subscription-locations", "rm-network-watchers",
              "rm-network-location-watcher-relationships"}
};

/* Without the name map (locations step not run or failed) the step fails,
 * as the reference does. */
static void test_location_watchers_need_the_location_map(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.hars = {AD_HAR, WATCHERS_HAR},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "NetworkWatcherRG"), SEED_LOCATION(SUB_D, "eastus")},
                  .steps = {"ad-account", "rm-network-watchers",
                            "rm-network-location-watcher-relationships"},
                  .failing_step = "rm-network-location-watcher-relationships"};
    gov_case_run(&c, NULL, error, sizeof error);
    assert_non_null(strstr(error, "LOCATION_NAME_MAP_NOT_FOUND"));
    assert_non_null(strstr(error, "rm-subscription-locations"));
}

static const gov_case test_flow_logs_case = {
    .expected = EXPECTED("rm-network-flow-logs"),
    .hars = {AD_HAR, FLOW_HAR},
    .subscription = SUB_D,
    /* no j1dev group: its watcher list is not recorded here */
    .seed = {SEED_RG(SUB_D, "NetworkWatcherRG"),
             SEED_STORAGE(SUB_D, "J1DEV", "NDOWMON1J1DEV")},
    .steps = {"ad-account", "rm-network-watchers", "rm-network-security-groups",
              "rm-network-flow-logs"}
};

/* A 403 on one collection fails that step only, naming what to grant. */
static void test_interfaces_403_fails_step_with_permission(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.hars = {AD_HAR, NET_HAR},
                  .subscription = SUB_8,
                  .seed = {SEED_RG_KEYED(SUB_8, "J1DEV", "j1dev")},
                  .faults = {{"/providers/Microsoft.Network/networkInterfaces", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The "
                              "client does not have authorization to perform action "
                              "'Microsoft.Network/networkInterfaces/read'\"}}"}},
                  .steps = {"ad-account", "rm-network-ip-addresses", "rm-network-interfaces"},
                  .failing_step = "rm-network-interfaces"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "Microsoft.Network/networkInterfaces"));
    assert_non_null(strstr(error, "403"));
    /* the step before it is unaffected */
    assert_int_equal(gov_graph_count(out, "entities", "azure_public_ip"), 3);
    assert_int_equal(gov_graph_count(out, "entities", "azure_nic"), 0);
    cJSON_Delete(out);
}

/* A generated tenant (tests/fakes/fake_azure_gen_types.c): resource i of
 * every network type shares a resource group, NIC i uses public IP i, group
 * i protects NIC i and subnet i and allows that subnet's CIDR, load
 * balancer i balances NIC i through two IP configurations, watcher i's flow
 * log targets group i.  Diagnostic settings are not generated: none.  The
 * ~490 reads of the first case exceed the fake's ARM read budget (burst
 * 250, then 25 per second): the client waits out the 429s, nothing is lost. */
#define GEN_SUB "00000004-0000-4000-8000-000000000000"
#define GEN_COUNT 120

static int count_nics_with_public_ip(const cJSON *graph)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(graph, "entities"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type"));
        const cJSON *ips = cJSON_GetObjectItemCaseSensitive(e, "publicIp");
        if (strcmp(type, "azure_nic") == 0 && cJSON_GetArraySize(ips) == 1 &&
            strncmp(cJSON_GetStringValue(cJSON_GetArrayItem(ips, 0)), "20.", 3) == 0)
            n++;
    }
    return n;
}

static void test_generated_network(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 1, .resource_groups = 3, .resources = GEN_COUNT};
    gov_case c = {.tenant = &t,
                  .seed = {SEED_RG(GEN_SUB, "rg-0"), SEED_RG(GEN_SUB, "rg-1"),
                           SEED_RG(GEN_SUB, "rg-2")},
                  .faults = {{"/providers/microsoft.insights/diagnosticSettings", 200,
                              "{\"value\":[]}"}},
                  .steps = {"ad-account", "rm-network-ip-addresses", "rm-network-interfaces",
                            "rm-network-security-groups", "rm-network-virtual-networks",
                            "rm-network-security-group-rules", "rm-network-load-balancers"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    static const char *const entities[] = {"azure_public_ip", "azure_nic", "azure_security_group",
                                           "azure_vnet", "azure_subnet", "azure_lb"};
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++)
        assert_int_equal(gov_graph_count(out, "entities", entities[i]), GEN_COUNT);
    static const char *const relationships[] = {
        "azure_resource_group_has_public_ip", "azure_resource_group_has_nic",
        "azure_resource_group_has_security_group", "azure_resource_group_has_vnet",
        "azure_resource_group_has_lb", "azure_security_group_protects_nic",
        "azure_security_group_protects_subnet", "azure_vnet_contains_subnet",
        "azure_lb_connects_nic"};
    for (size_t i = 0; i < sizeof relationships / sizeof relationships[0]; i++)
        assert_int_equal(gov_graph_count(out, "relationships", relationships[i]), GEN_COUNT);
    /* per group: the deny-all and SSH rules to the Internet (mapped), the
     * subnet rule to its one subnet (direct, subnet -> group: inbound) */
    int mapped = 0, direct = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "relationships"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "_type"));
        if (strcmp(type, "azure_security_group_rule") != 0)
            continue;
        if (cJSON_GetObjectItemCaseSensitive(r, "_mapping")) {
            mapped++;
        } else {
            direct++;
            assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                       r, "_fromEntityKey")),
                                   "/subnets/default"));
            assert_int_equal(cJSON_GetObjectItemCaseSensitive(r, "fromPort")->valueint, 443);
        }
    }
    assert_int_equal(mapped, 2 * GEN_COUNT);
    assert_int_equal(direct, GEN_COUNT);
    assert_int_equal(count_nics_with_public_ip(out), GEN_COUNT);
    cJSON_Delete(out);
}

/* Per resource group: firewalls and watchers; per watcher: flow logs. */
static void test_generated_watchers_and_firewalls(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 1, .resource_groups = 3, .resources = GEN_COUNT};
    gov_case c = {.tenant = &t,
                  .seed = {SEED_RG(GEN_SUB, "rg-0"), SEED_RG(GEN_SUB, "rg-1"),
                           SEED_RG(GEN_SUB, "rg-2")},
                  .faults = {{"/providers/microsoft.insights/diagnosticSettings", 200,
                              "{\"value\":[]}"}},
                  .steps = {"ad-account", "rm-network-security-groups", "rm-network-azure-firewalls",
                            "rm-network-watchers", "rm-network-flow-logs"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_network_azure_firewall"), GEN_COUNT);
    assert_int_equal(gov_graph_count(out, "entities", "azure_network_watcher"), GEN_COUNT);
    assert_int_equal(gov_graph_count(out, "entities", "azure_security_group_flow_logs"), GEN_COUNT);
    static const char *const relationships[] = {
        "azure_resource_group_has_network_azure_firewall",
        "azure_resource_group_has_network_watcher",
        "azure_network_watcher_has_security_group_flow_logs",
        "azure_security_group_has_flow_logs"};
    for (size_t i = 0; i < sizeof relationships / sizeof relationships[0]; i++)
        assert_int_equal(gov_graph_count(out, "relationships", relationships[i]), GEN_COUNT);
    /* no storage account is ingested: no USES */
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_security_group_flow_logs_uses_storage_account"),
        0);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type"));
        if (strcmp(type, "azure_network_azure_firewall") == 0)
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                    e, "additionalProperties.Network.DNS.EnableProxy")),
                                "true");
    }
    cJSON_Delete(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        GOV_CASE_TEST(test_public_ips),
        cmocka_unit_test(test_network_interfaces),
        GOV_CASE_TEST(test_security_groups),
        cmocka_unit_test(test_security_group_environment_tag),
        GOV_CASE_TEST(test_virtual_networks),
        cmocka_unit_test(test_security_group_rules),
        GOV_CASE_TEST(test_security_group_rule_targets),
        GOV_CASE_TEST(test_load_balancers),
        GOV_CASE_TEST(test_azure_firewalls),
        GOV_CASE_TEST(test_watchers),
        GOV_CASE_TEST(test_location_watchers),
        cmocka_unit_test(test_location_watchers_need_the_location_map),
        GOV_CASE_TEST(test_flow_logs),
        cmocka_unit_test(test_interfaces_403_fails_step_with_permission),
        cmocka_unit_test(test_generated_network),
        cmocka_unit_test(test_generated_watchers_and_firewalls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

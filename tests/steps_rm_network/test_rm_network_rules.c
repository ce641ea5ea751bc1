/*
 * The security-group rule logic of the network steps (steps/network.h):
 * parseSecurityRulePortRange, isWideOpenSecurityGroup, the service-tag
 * _type and the rule targets, against the reference's own test cases
 * (converters/__tests__/parseSecurityRulePortRange.test.ts,
 * securityGroups.test.ts) and the SDK's ip helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps/network.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_port_range_star(void **state)
{
    (void)state;
    net_port_range r;
    net_parse_port_range("*", &r);
    assert_true(r.has_ports);
    assert_int_equal(r.from_port, 0);
    assert_int_equal(r.to_port, 65535);
}

static void test_port_range_single_and_span(void **state)
{
    (void)state;
    net_port_range r;
    net_parse_port_range("22", &r);
    assert_true(r.has_ports && !r.from_nan && !r.to_nan);
    assert_int_equal(r.from_port, 22);
    assert_int_equal(r.to_port, 22);
    net_parse_port_range("8080-8090", &r);
    assert_int_equal(r.from_port, 8080);
    assert_int_equal(r.to_port, 8090);
    /* parseInt reads leading digits */
    net_parse_port_range("80abc", &r);
    assert_int_equal(r.from_port, 80);
    assert_int_equal(r.to_port, 80);
}

static void test_port_range_empty_and_nan(void **state)
{
    (void)state;
    net_port_range r;
    net_parse_port_range("", &r);
    assert_false(r.has_ports);
    net_parse_port_range(NULL, &r);
    assert_false(r.has_ports);
    net_parse_port_range("abc", &r);
    assert_true(r.has_ports && r.from_nan && r.to_nan);
    /* "1000-": ports[1] is "" (falsy), so toPort parses ports[0] */
    net_parse_port_range("1000-", &r);
    assert_int_equal(r.from_port, 1000);
    assert_int_equal(r.to_port, 1000);
}

#define RULE(access, prio, extra)                                                                 \
    "{\"properties\":{\"protocol\":\"*\",\"sourcePortRange\":\"*\",\"destinationPortRange\":"    \
    "\"*\",\"sourceAddressPrefix\":\"*\",\"destinationAddressPrefix\":\"*\",\"access\":\"" access \
    "\",\"priority\":" #prio extra "}}"

static bool wide_open(const char *text)
{
    cJSON *nsg = cJSON_Parse(text);
    assert_non_null(nsg);
    bool v = net_is_wide_open(nsg);
    cJSON_Delete(nsg);
    return v;
}

static void test_wide_open(void **state)
{
    (void)state;
    /* allow-all before the default deny-all */
    assert_true(wide_open("{\"properties\":{\"securityRules\":[" RULE("Allow", 100, "") "],"
                          "\"defaultSecurityRules\":[" RULE("Deny", 65500, "") "]}}"));
    /* allow-all after an explicit deny-all */
    assert_false(wide_open("{\"properties\":{\"securityRules\":[" RULE("Deny", 100, "") ","
                           RULE("Allow", 200, "") "]}}"));
    /* allow-all without any deny-all */
    assert_true(wide_open("{\"securityRules\":[" RULE("Allow", 100, "") "]}"));
    /* only a default deny: closed */
    assert_false(wide_open("{\"properties\":{\"defaultSecurityRules\":[" RULE("Deny", 65500, "") "]}}"));
    /* an allow rule restricted to one port is not allow-all */
    assert_false(wide_open("{\"properties\":{\"securityRules\":[{\"properties\":{\"protocol\":"
                           "\"*\",\"sourcePortRange\":\"*\",\"destinationPortRange\":\"22\","
                           "\"sourceAddressPrefix\":\"*\",\"destinationAddressPrefix\":\"*\","
                           "\"access\":\"Allow\",\"priority\":100}}]}}"));
    /* priority 0 is falsy in the reference */
    assert_false(wide_open("{\"properties\":{\"securityRules\":[" RULE("Allow", 0, "") "]}}"));
    assert_false(wide_open("{}"));
}

static void test_service_tag_types(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"VirtualNetwork", "azure_virtual_network"},
        {"AzureLoadBalancer", "azure_load_balancer"},
        {"Storage.EastUS", "azure_storage_east_us"},
        {"Sql.WestUS2", "azure_sql_west_us_2"},
        {"GatewayManager", "azure_gateway_manager"},
        {"AzureCloud", "azure_cloud"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = net_service_tag_type(cases[i][0]);
        assert_non_null(t);
        assert_string_equal(t, cases[i][1]);
        free(t);
    }
}

/* The targets of one inbound rule with the given source prefix. */
static cJSON *targets_of(const char *prefix, const char *direction)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"properties\":{\"securityRules\":[{\"id\":\"r1\",\"name\":\"r1\",\"properties\":"
             "{\"protocol\":\"Tcp\",\"destinationPortRange\":\"22\",\"sourceAddressPrefix\":"
             "\"%s\",\"destinationAddressPrefix\":\"%s\",\"access\":\"Allow\",\"priority\":100,"
             "\"direction\":\"%s\"}}]}}",
             prefix, prefix, direction);
    cJSON *nsg = cJSON_Parse(text);
    assert_non_null(nsg);
    cJSON *rules = net_security_group_rules(nsg);
    cJSON_Delete(nsg);
    assert_non_null(rules);
    assert_int_equal(cJSON_GetArraySize(rules), 1);
    return rules;
}

static const cJSON *first_target(const cJSON *rules)
{
    return cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rules, 0), "targets"), 0);
}

static const char *target_str(const cJSON *t, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, name));
}

static void test_rule_targets(void **state)
{
    (void)state;
    struct {
        const char *prefix, *kind, *suffix;
    } cases[] = {
        {"*", "internet", "internet"},
        {"Internet", "internet", "internet"},
        {"0.0.0.0/0", "internet", "internet"},
        {"10.0.0.4/32", "mapped", "Host:10.0.0.4::10.0.0.4"},
        {"52.1.2.3/32", "mapped", "Host:52.1.2.3:52.1.2.3:52.1.2.3"},
        {"52.1.0.0/16", "mapped", "Network:52.1.0.0/16"},
        {"172.16.0.0/12", "subnet", "Network:azure_subnet:172.16.0.0/12"},
        {"172.32.0.0/16", "mapped", "Network:172.32.0.0/16"},
        /* not a host for the SDK (no /32): a private range */
        {"192.168.1.1", "subnet", "Network:azure_subnet:192.168.1.1"},
        {"VirtualNetwork", "mapped", "Service:azure_virtual_network:VirtualNetwork"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *rules = targets_of(cases[i].prefix, "Inbound");
        const cJSON *t = first_target(rules);
        assert_string_equal(target_str(t, "kind"), cases[i].kind);
        assert_string_equal(target_str(t, "keySuffix"), cases[i].suffix);
        cJSON_Delete(rules);
    }
    /* a private host has no publicIpAddress but keeps it among the filter keys */
    cJSON *rules = targets_of("10.0.0.4/32", "Outbound");
    const cJSON *t = first_target(rules);
    const cJSON *entity = cJSON_GetObjectItemCaseSensitive(t, "entity");
    assert_null(cJSON_GetObjectItemCaseSensitive(entity, "publicIpAddress"));
    assert_string_equal(target_str(entity, "ipAddress"), "10.0.0.4");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "filterKeys")), 4);
    /* outbound: egress properties */
    const cJSON *props =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rules, 0), "properties");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "egress")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(props, "ingress")));
    assert_string_equal(target_str(props, "ipProtocol"), "tcp");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(props, "ruleNumber")->valueint, 100);
    cJSON_Delete(rules);
}

/* One element per destination port range; arrays as JSON text (empty ones
 * omitted); a rule without a port range produces nothing. */
static void test_rule_port_ranges_and_properties(void **state)
{
    (void)state;
    cJSON *nsg = cJSON_Parse(
        "{\"defaultSecurityRules\":[{\"id\":\"d1\",\"protocol\":\"Udp\",\"destinationPortRange\":"
        "\"\",\"sourceAddressPrefix\":\"*\",\"access\":\"Deny\",\"priority\":65500,\"direction\":"
        "\"Inbound\"}],\"securityRules\":[{\"id\":\"r1\",\"protocol\":\"Tcp\","
        "\"destinationPortRanges\":[\"22\",\"80-81\"],\"sourceAddressPrefixes\":[\"*\","
        "\"10.0.0.0/8\"],\"sourcePortRanges\":[],\"access\":\"Deny\",\"priority\":200,"
        "\"direction\":\"Inbound\"}]}");
    assert_non_null(nsg);
    cJSON *rules = net_security_group_rules(nsg);
    cJSON_Delete(nsg);
    assert_non_null(rules);
    assert_int_equal(cJSON_GetArraySize(rules), 2);
    const cJSON *second = cJSON_GetArrayItem(rules, 1);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(second, "properties");
    assert_string_equal(target_str(props, "portRange"), "80-81");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(props, "fromPort")->valueint, 80);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(props, "toPort")->valueint, 81);
    assert_string_equal(target_str(props, "destinationPortRanges"), "[\"22\",\"80-81\"]");
    assert_null(cJSON_GetObjectItemCaseSensitive(props, "sourcePortRanges"));
    assert_string_equal(target_str(second, "access"), "Deny");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(second, "targets")), 2);
    cJSON_Delete(rules);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_range_star),
        cmocka_unit_test(test_port_range_single_and_span),
        cmocka_unit_test(test_port_range_empty_and_nan),
        cmocka_unit_test(test_wide_open),
        cmocka_unit_test(test_service_tag_types),
        cmocka_unit_test(test_rule_targets),
        cmocka_unit_test(test_rule_port_ranges_and_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * network: the Resource Manager network steps (docs/spec/azure-sources
 * part-b §5; reference graph-azure src/steps/resource-manager/network/).
 *
 * The security-group rule logic (steps/network_rules.c) that the
 * rm-network-security-groups and rm-network-security-group-rules steps use,
 * exposed for tests.
 *
 * - net_parse_port_range: the reference's parseSecurityRulePortRange
 *   ("*" = 0..65535, "a-b", "a"; numbers read like JavaScript parseInt:
 *   leading digits, NaN when none).
 * - net_is_wide_open: isWideOpenSecurityGroup over an NSG as Azure returns
 *   it (rules with `properties`) or as its SDK object (rules hoisted).
 * - net_service_tag_type: the _type of a service-tag target
 *   ("VirtualNetwork" -> "azure_virtual_network", "AzureLoadBalancer" ->
 *   "azure_load_balancer"); caller frees.
 * - net_security_group_rules: processSecurityGroupRules — one element per
 *   (rule, destination port range):
 *     {"id", "access", "properties": {relationship properties},
 *      "targets": [{"kind": "internet"|"subnet"|"mapped",
 *                   "entity": {target entity}, "filterKeys": [...],
 *                   "keySuffix": "..."}]}
 *   where keySuffix is what follows "{type}:{rule id}:{port range}:" in
 *   the relationship _key (for subnets the subnet entity's id follows
 *   instead).  Caller frees; NULL when out of memory.
 */
#ifndef AI_STEPS_NETWORK_H
#define AI_STEPS_NETWORK_H

#include <cjson/cJSON.h>
#include <stdbool.h>

typedef struct net_port_range {
    bool has_ports;   /* false for an empty range (no fromPort/toPort) */
    bool from_nan;    /* parseInt gave NaN */
    bool to_nan;
    long from_port;
    long to_port;
} net_port_range;

void net_parse_port_range(const char *range, net_port_range *out);

bool net_is_wide_open(const cJSON *nsg);

char *net_service_tag_type(const char *tag);

cJSON *net_security_group_rules(const cJSON *nsg);

#endif

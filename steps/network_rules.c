/*
 * network_rules: the security-group rule logic of the network steps (see
 * steps/network.h): isWideOpenSecurityGroup, parseSecurityRulePortRange and
 * processSecurityGroupRules of the reference (graph-azure 32eaf0f8
 * src/steps/resource-manager/network/converters/), with the SDK's ip
 * helpers (integration-sdk-core src/data/ip.ts) and lodash snakeCase for
 * service tags.  Pure functions over JSON; no step state.
 */
#include "steps/network.h"

#include "common/json.h"
#include "common/log.h"
#include "engine/entity_map.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *as_array(const cJSON *v)
{
    return cJSON_IsArray(v) ? v : NULL;
}

/* A member of an ARM object, read from `properties` when the object is as
 * Azure returned it, else from the (hoisted) object itself. */
static const cJSON *arm_member(const cJSON *obj, const char *name)
{
    const cJSON *v = json_get(json_get(obj, "properties"), name);
    return v ? v : json_get(obj, name);
}

static const char *arm_member_string(const cJSON *obj, const char *name)
{
    const cJSON *v = arm_member(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool str_eq(const cJSON *rule, const char *field, const char *want)
{
    const char *v = arm_member_string(rule, field);
    return v && strcmp(v, want) == 0;
}

static const cJSON *find_any_any(const cJSON *nsg, const char *access)
{
    static const char *const lists[] = {"defaultSecurityRules", "securityRules"};
    for (int l = 0; l < 2; l++) {
        const cJSON *r;
        const cJSON *arr = arm_member(nsg, lists[l]);
        cJSON_ArrayForEach(r, as_array(arr))
        {
            if (str_eq(r, "destinationAddressPrefix", "*") &&
                str_eq(r, "destinationPortRange", "*") && str_eq(r, "sourcePortRange", "*") &&
                str_eq(r, "sourceAddressPrefix", "*") && str_eq(r, "protocol", "*") &&
                str_eq(r, "access", access))
                return r;
        }
    }
    return NULL;
}

/* A truthy priority, or 0. */
static double rule_priority(const cJSON *rule)
{
    const cJSON *p = rule ? arm_member(rule, "priority") : NULL;
    return cJSON_IsNumber(p) ? p->valuedouble : 0;
}

bool net_is_wide_open(const cJSON *nsg)
{
    double allow = rule_priority(find_any_any(nsg, "Allow"));
    double deny = rule_priority(find_any_any(nsg, "Deny"));
    if (allow == 0)
        return false;
    return deny != 0 ? allow < deny : true;
}

/* JavaScript parseInt(s) for decimal text: optional whitespace and sign,
 * then digits; NaN (false) when there are none. */
static bool js_parse_int(const char *s, long *out)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
        s++;
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*s))
        return false;
    long v = 0;
    for (; isdigit((unsigned char)*s); s++)
        v = v < 100000000000L ? v * 10 + (*s - '0') : v;
    *out = sign * v;
    return true;
}

void net_parse_port_range(const char *range, net_port_range *out)
{
    memset(out, 0, sizeof *out);
    if (!range || !*range)
        return;
    out->has_ports = true;
    if (strcmp(range, "*") == 0) {
        out->from_port = 0;
        out->to_port = 65535;
        return;
    }
    /* ports = range.split('-'); from = parseInt(ports[0]);
     * to = parseInt(ports[1] || ports[0]) */
    size_t first_len = strcspn(range, "-");
    char first[64], second[64] = "";
    snprintf(first, sizeof first, "%.*s", (int)(first_len < 63 ? first_len : 63), range);
    if (range[first_len] == '-') {
        const char *s = range + first_len + 1;
        size_t n = strcspn(s, "-");
        snprintf(second, sizeof second, "%.*s", (int)(n < 63 ? n : 63), s);
    }
    out->from_nan = !js_parse_int(first, &out->from_port);
    out->to_nan = !js_parse_int(*second ? second : first, &out->to_port);
}

char *net_service_tag_type(const char *tag)
{
    /* lodash snakeCase: words split at non-alphanumerics, lower->upper,
     * upper-run->Upper+lower, and letter<->digit boundaries. */
    size_t n = strlen(tag);
    char *out = malloc(n * 2 + sizeof "azure_");
    if (!out)
        return NULL;
    size_t o = 0;
    o += (size_t)sprintf(out, "azure_");
    size_t words = 0;
    for (size_t i = 0; i < n;) {
        if (!isalnum((unsigned char)tag[i])) {
            i++;
            continue;
        }
        if (words++)
            out[o++] = '_';
        size_t j = i;
        if (isdigit((unsigned char)tag[j])) {
            while (j < n && isdigit((unsigned char)tag[j]))
                j++;
        } else if (isupper((unsigned char)tag[j])) {
            size_t k = j;
            while (k < n && isupper((unsigned char)tag[k]))
                k++;
            if (k - j == 1) {
                j = k;
                while (j < n && islower((unsigned char)tag[j]))
                    j++;
            } else if (k < n && islower((unsigned char)tag[k])) {
                j = k - 1;   /* "USWest": "US" then "West" */
            } else {
                j = k;
            }
        } else {
            while (j < n && islower((unsigned char)tag[j]))
                j++;
        }
        for (; i < j; i++)
            out[o++] = (char)tolower((unsigned char)tag[i]);
    }
    out[o] = '\0';
    if (strncmp(out, "azure_azure_", 12) == 0)
        memmove(out + 6, out + 12, strlen(out + 12) + 1);
    return out;
}

/* The SDK's ip helpers (integration-sdk-core src/data/ip.ts). */
static bool ip_is_v4(const char *s)
{
    for (int part = 0; part < 4; part++) {
        int digits = 0;
        while (isdigit((unsigned char)*s) && digits < 4) {
            s++;
            digits++;
        }
        if (digits < 1 || digits > 3)
            return false;
        if (part < 3 && *s++ != '.')
            return false;
    }
    if (*s == '/') {
        s++;
        int digits = 0;
        while (isdigit((unsigned char)*s)) {
            s++;
            digits++;
        }
        if (digits < 1 || digits > 2)
            return false;
    }
    return *s == '\0';
}

static bool ip_is_internet(const char *s)
{
    return strncmp(s, "0.0.0.0", 7) == 0 || strcmp(s, "::/0") == 0;
}

static bool ip_is_host(const char *s)
{
    size_t n = strlen(s);
    return (strchr(s, ':') && n >= 4 && strcmp(s + n - 4, "/128") == 0) ||
           (n >= 3 && strcmp(s + n - 3, "/32") == 0);
}

static bool ip_is_public(const char *s)
{
    if (strncmp(s, "127.", 4) == 0 || strncmp(s, "10.", 3) == 0 || strncmp(s, "192.168.", 8) == 0)
        return false;
    if (strncmp(s, "172.", 4) == 0) {
        const char *b = s + 4;
        if (isdigit((unsigned char)b[0]) && isdigit((unsigned char)b[1]) && b[2] == '.') {
            int v = (b[0] - '0') * 10 + (b[1] - '0');
            if (v >= 16 && v <= 31)
                return false;
        }
    }
    return true;
}

/* convertProperties(rule, {stringifyArray: true}) */
static bool rule_properties_convert(const cJSON *rule, cJSON *props)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, rule)
    {
        if (!f->string || cJSON_IsNull(f))
            continue;
        char *key = entity_map_camel_case(f->string);
        if (!key)
            return false;
        cJSON *v = NULL;
        if (cJSON_IsBool(f) || cJSON_IsNumber(f) || cJSON_IsString(f)) {
            v = cJSON_Duplicate(f, 0);
        } else if (cJSON_IsArray(f) && f->child && !cJSON_IsNull(f->child)) {
            char *text = json_print(f);
            v = text ? cJSON_CreateString(text) : NULL;
            free(text);
        } else {
            free(key);
            continue;
        }
        bool ok;
        if (!*key) {   /* camelCase of a name without letters or digits */
            cJSON_Delete(v);
            ok = true;
        } else {
            ok = v && json_set(props, key, v);
        }
        free(key);
        if (!ok)
            return false;
    }
    return true;
}

static bool add_number_or_nan(cJSON *o, const char *name, bool nan, long v)
{
    return json_set(o, name, nan ? cJSON_CreateNull() : cJSON_CreateNumber((double)v));
}

static cJSON *rule_properties(const cJSON *rule, const char *port_range,
                              const net_port_range *pr)
{
    cJSON *p = cJSON_CreateObject();
    if (!p || !rule_properties_convert(rule, p)) {
        cJSON_Delete(p);
        return NULL;
    }
    const char *dir = json_get_string(rule, "direction");
    bool in = dir && strcmp(dir, "Inbound") == 0;
    bool outb = dir && strcmp(dir, "Outbound") == 0;
    bool ok = json_set(p, "ingress", cJSON_CreateBool(in)) &&
              json_set(p, "inbound", cJSON_CreateBool(in)) &&
              json_set(p, "egress", cJSON_CreateBool(outb)) &&
              json_set(p, "outbound", cJSON_CreateBool(outb)) &&
              json_set(p, "portRange", cJSON_CreateString(port_range));
    if (ok && pr->has_ports)
        ok = add_number_or_nan(p, "fromPort", pr->from_nan, pr->from_port) &&
             add_number_or_nan(p, "toPort", pr->to_nan, pr->to_port);
    const char *proto = json_get_string(rule, "protocol");
    if (ok && proto) {
        char low[64];
        size_t i = 0;
        for (; proto[i] && i < sizeof low - 1; i++)
            low[i] = (char)tolower((unsigned char)proto[i]);
        low[i] = '\0';
        ok = json_set(p, "protocol", cJSON_CreateString(low)) &&
             json_set(p, "ipProtocol", cJSON_CreateString(low));
    }
    const cJSON *prio = json_get(rule, "priority");
    if (ok && cJSON_IsNumber(prio))
        ok = json_set(p, "priority", cJSON_CreateNumber(prio->valuedouble)) &&
             json_set(p, "ruleNumber", cJSON_CreateNumber(prio->valuedouble));
    else if (ok) {
        cJSON_DeleteItemFromObjectCaseSensitive(p, "priority");
        cJSON_DeleteItemFromObjectCaseSensitive(p, "ruleNumber");
    }
    if (!ok) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

static bool add_strings(cJSON *arr, const char *const *values)
{
    for (size_t i = 0; values[i]; i++)
        if (!cJSON_AddItemToArray(arr, cJSON_CreateString(values[i])))
            return false;
    return true;
}

/* One target of a rule prefix (see network.h). */
static cJSON *rule_target(const char *prefix)
{
    cJSON *t = cJSON_CreateObject();
    cJSON *entity = t ? cJSON_AddObjectToObject(t, "entity") : NULL;
    cJSON *keys = t ? cJSON_AddArrayToObject(t, "filterKeys") : NULL;
    if (!entity || !keys) {
        cJSON_Delete(t);
        return NULL;
    }
    char suffix[1024];
    bool ok = true;
    const char *kind = "mapped";
    if (strcmp(prefix, "Internet") == 0 || strcmp(prefix, "*") == 0 ||
        (ip_is_v4(prefix) && ip_is_internet(prefix))) {
        kind = "internet";
        static const char *const k[] = {"_key", NULL};
        cJSON *cls = cJSON_AddArrayToObject(entity, "_class");
        ok = cls && add_strings(cls, (const char *const[]){"Internet", "Network", NULL}) &&
             json_add_string(entity, "_type", "internet") &&
             json_add_string(entity, "_key", "global:internet") &&
             json_add_string(entity, "displayName", "Internet") &&
             json_add_string(entity, "CIDR", "0.0.0.0/0") &&
             json_add_string(entity, "CIDRv6", "::/0") &&
             cJSON_AddBoolToObject(entity, "public", 1) && add_strings(keys, k);
        snprintf(suffix, sizeof suffix, "internet");
    } else if (ip_is_v4(prefix) && ip_is_host(prefix)) {
        char host[64];
        snprintf(host, sizeof host, "%s", prefix);
        char *slash = strstr(host, "/32");
        if (slash)
            memmove(slash, slash + 3, strlen(slash + 3) + 1);
        bool pub = ip_is_public(prefix);
        static const char *const k[] = {"_class", "ipAddress", "publicIpAddress", "displayName",
                                        NULL};
        ok = json_add_string(entity, "_class", "Host") &&
             json_add_string(entity, "ipAddress", host) &&
             (!pub || json_add_string(entity, "publicIpAddress", host)) &&
             json_add_string(entity, "displayName", host) && add_strings(keys, k);
        /* Object.values(target).join(':'): an undefined value joins as "" */
        snprintf(suffix, sizeof suffix, "Host:%s:%s:%s", host, pub ? host : "", host);
    } else if (ip_is_v4(prefix) && ip_is_public(prefix)) {
        static const char *const k[] = {"_class", "CIDR", NULL};
        ok = json_add_string(entity, "_class", "Network") &&
             json_add_string(entity, "CIDR", prefix) && add_strings(keys, k);
        snprintf(suffix, sizeof suffix, "Network:%s", prefix);
    } else if (ip_is_v4(prefix)) {
        kind = "subnet";
        static const char *const k[] = {"_class", "_type", "CIDR", NULL};
        ok = json_add_string(entity, "_class", "Network") &&
             json_add_string(entity, "_type", "azure_subnet") &&
             json_add_string(entity, "CIDR", prefix) && add_strings(keys, k);
        snprintf(suffix, sizeof suffix, "Network:azure_subnet:%s", prefix);
    } else {
        char *type = net_service_tag_type(prefix);
        static const char *const k[] = {"_class", "_type", "displayName", NULL};
        ok = type && json_add_string(entity, "_class", "Service") &&
             json_add_string(entity, "_type", type) &&
             json_add_string(entity, "displayName", prefix) && add_strings(keys, k);
        snprintf(suffix, sizeof suffix, "Service:%s:%s", type ? type : "", prefix);
        free(type);
    }
    ok = ok && json_add_string(t, "kind", kind) && json_add_string(t, "keySuffix", suffix);
    if (!ok) {
        cJSON_Delete(t);
        return NULL;
    }
    return t;
}

/* [single] + list, the non-empty strings. */
static bool collect_strings(const cJSON *rule, const char *single, const char *list,
                            const char **out, size_t cap, size_t *n)
{
    *n = 0;
    const char *s = json_get_string(rule, single);
    if (s && *s)
        out[(*n)++] = s;
    const cJSON *e;
    cJSON_ArrayForEach(e, as_array(json_get(rule, list)))
    {
        if (!cJSON_IsString(e) || !*e->valuestring)
            continue;
        if (*n == cap)
            return false;
        out[(*n)++] = e->valuestring;
    }
    return true;
}

#define MAX_RULE_VALUES 512

static bool process_rule(const cJSON *raw_rule, cJSON *results)
{
    cJSON *rule = entity_map_sdk_object(raw_rule, NULL);
    if (!rule)
        return false;
    bool ok = true;
    const char *ports[MAX_RULE_VALUES], *prefixes[MAX_RULE_VALUES];
    size_t np, nx;
    const char *dir = json_get_string(rule, "direction");
    bool in = dir && strcmp(dir, "Inbound") == 0;
    if (!collect_strings(rule, "destinationPortRange", "destinationPortRanges", ports,
                         MAX_RULE_VALUES, &np) ||
        !collect_strings(rule, in ? "sourceAddressPrefix" : "destinationAddressPrefix",
                         in ? "sourceAddressPrefixes" : "destinationAddressPrefixes", prefixes,
                         MAX_RULE_VALUES, &nx)) {
        log_kv(LOG_WARN, "security rule with too many port ranges or prefixes; truncated", "rule",
               json_get_string(rule, "id") ? json_get_string(rule, "id") : "?", NULL);
    }
    for (size_t i = 0; ok && i < np; i++) {
        net_port_range pr;
        net_parse_port_range(ports[i], &pr);
        cJSON *r = cJSON_CreateObject();
        cJSON *targets = r ? cJSON_AddArrayToObject(r, "targets") : NULL;
        cJSON *props = rule_properties(rule, ports[i], &pr);
        ok = r && targets && props && cJSON_AddItemToArray(results, r);
        if (!ok) {
            cJSON_Delete(r);
            cJSON_Delete(props);
            break;
        }
        const char *id = json_get_string(rule, "id");
        const char *access = json_get_string(rule, "access");
        ok = json_add_string(r, "id", id ? id : "undefined") &&
             json_add_string(r, "access", access ? access : "") &&
             cJSON_AddItemToObject(r, "properties", props);
        for (size_t j = 0; ok && j < nx; j++) {
            cJSON *t = rule_target(prefixes[j]);
            ok = t && cJSON_AddItemToArray(targets, t);
            if (!ok)
                cJSON_Delete(t);
        }
    }
    cJSON_Delete(rule);
    return ok;
}

cJSON *net_security_group_rules(const cJSON *nsg)
{
    cJSON *results = cJSON_CreateArray();
    static const char *const lists[] = {"defaultSecurityRules", "securityRules"};
    for (int l = 0; results && l < 2; l++) {
        const cJSON *arr = arm_member(nsg, lists[l]);
        const cJSON *r;
        cJSON_ArrayForEach(r, as_array(arr))
        {
            if (cJSON_IsObject(r) && !process_rule(r, results)) {
                cJSON_Delete(results);
                return NULL;
            }
        }
    }
    return results;
}

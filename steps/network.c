/*
 * network: public IP addresses, network interfaces, security groups (and
 * their rules as relationships), virtual networks with their subnets, load
 * balancers, Azure firewalls, network watchers, their locations and the
 * security groups' flow logs (docs/spec/azure-sources part-b §5; reference
 * graph-azure src/steps/resource-manager/network/, api-version 2019-12-01).
 *
 * Entity types are tables; code only where a property needs more than a
 * path (CIDR/displayName of networks, isWideOpen, the IP lists of NICs and
 * load balancers, the flattened firewall objects).  The security-group rule
 * logic (wide-open groups, port ranges, rule targets) is in
 * steps/network_rules.c.  Subscription-wide
 * collections are listed for every ingested subscription in parallel;
 * firewalls and watchers per resource group, flow logs per watcher, all in
 * parallel within the client's bounds; items are stored as they arrive.
 *
 * Differences from the reference, each forced by our graph rules or by
 * streaming (never a whole collection in memory):
 * - azure_public_ip and azure_nic carry `name` (the engine requires it);
 * - a NIC finds its public addresses through the stored azure_public_ip
 *   entities (same exact-id match) instead of a job-state copy of the list;
 * - a load balancer's `publicIp` holds only the addresses Azure returned
 *   (the reference writes null for frontends that reference a public IP by
 *   id only, which no entity may hold); `public` still counts those
 *   frontends;
 * - flow-log targets (security group, storage account) resolve
 *   case-insensitively like every other id here.
 */
#include "steps/network.h"

#include "common/json.h"
#include "common/json_arena.h"
#include "common/log.h"
#include "engine/entity_map.h"
#include "engine/relationship.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/diagnostic_settings.h"
#include "steps/gov_common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NET_API "2019-12-01"
#define RULE_TYPE "azure_security_group_rule"
#define SUBNET_NSG_MAP "subnetSecurityGroupMap"

/* ---- small helpers ----------------------------------------------------- */

static int nomem(err_info *err, const char *what)
{
    return err_set(err, ERR_NOMEM, "out of memory building %s", what);
}

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

/* Copy of an ARM item whose `properties.{name}` arrays hold SDK objects
 * (each element's own `properties` hoisted), as the reference's models do. */
static cJSON *hoist_children(const cJSON *item, const char *const *names)
{
    cJSON *copy = cJSON_Duplicate(item, 1);
    cJSON *props = copy ? cJSON_GetObjectItemCaseSensitive(copy, "properties") : NULL;
    for (size_t n = 0; props && names[n]; n++) {
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(props, names[n]);
        if (!cJSON_IsArray(arr))
            continue;
        cJSON *hoisted = cJSON_CreateArray();
        if (!hoisted) {
            cJSON_Delete(copy);
            return NULL;
        }
        const cJSON *el;
        cJSON_ArrayForEach(el, arr)
        {
            cJSON *h = cJSON_IsObject(el) ? entity_map_sdk_object(el, NULL) : cJSON_Duplicate(el, 1);
            if (!h || !cJSON_AddItemToArray(hoisted, h)) {
                cJSON_Delete(h);
                cJSON_Delete(hoisted);
                cJSON_Delete(copy);
                return NULL;
            }
        }
        cJSON_ReplaceItemInObjectCaseSensitive(props, names[n], hoisted);
    }
    return copy;
}

static int add_relationship(step_ctx *ctx, cJSON *rel, const char *what, err_info *err)
{
    if (!rel)
        return nomem(err, "a relationship");
    return gov_add(ctx, rel, false, what, err);
}

/* Builds an entity from a table and adds it (a bad item is logged and
 * skipped).  `patch`, when set, completes the entity before it is added.
 * *ok is true when the id is in the store afterwards (added now, or an
 * earlier duplicate); *added then holds its stored _key and _type. */
typedef int (*entity_patch)(cJSON *entity, const cJSON *item, void *arg, step_ctx *ctx,
                            err_info *err);

static int build_add(step_ctx *ctx, const entity_spec *spec, const cJSON *item, entity_patch patch,
                     void *patch_arg, gov_found *added, bool *ok, err_info *err)
{
    *ok = false;
    if (step_should_stop(ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *id = json_get_string(item, "id");
    if (!id) {
        log_kv(LOG_WARN, "skipped an object without id", "type", spec->type, NULL);
        return 0;
    }
    map_ctx mctx = {.integration = azure_job_of(ctx)};
    cJSON *entity = NULL;
    err_info e = {0};
    if (entity_map_build(spec, item, &mctx, &entity, &e) != 0) {
        if (e.kind == ERR_NOMEM || e.kind == ERR_CANCELLED) {
            *err = e;
            return -1;
        }
        log_kv(LOG_WARN, "skipped one object", "type", spec->type, "id", id, "error", e.message,
               NULL);
        return 0;
    }
    if (patch && patch(entity, item, patch_arg, ctx, err) != 0) {
        cJSON_Delete(entity);
        return -1;
    }
    if (gov_add(ctx, entity, true, id, err) != 0)
        return -1;
    *ok = gov_find(ctx, id, added);
    return 0;
}

/* Common rows. */
static int map_weblink(const cJSON *v, const cJSON *item, const map_ctx *m, cJSON **out,
                       err_info *err)
{
    return arm_map_weblink(v, item, m, out, err);
}

static int map_rg(const cJSON *v, const cJSON *item, const map_ctx *m, cJSON **out, err_info *err)
{
    return arm_map_resource_group(v, item, m, out, err);
}

/* Lists `collection` ("networkInterfaces") of every ingested subscription,
 * all in parallel; fn gets each item. */
static int list_subscriptions(step_ctx *ctx, const char *collection, azure_indexed_item_fn fn,
                              void *arg, err_info *err)
{
    azure_job *job = azure_job_of(ctx);
    gov_strings paths = {0};
    int rc = -1;
    char path[512];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        snprintf(path, sizeof path,
                 "/subscriptions/%s/providers/Microsoft.Network/%s?api-version=" NET_API,
                 azure_job_subscription(job, i), collection);
        if (gov_strings_add(&paths, path, err) != 0)
            goto done;
    }
    rc = gov_list_parallel(ctx, paths.items, paths.count, fn, arg, err);
done:
    gov_strings_free(&paths);
    return rc;
}

/* The resource groups stored so far: their keys and their list paths for
 * `collection` (group name as stored, under the group's own subscription). */
typedef struct rg_lists {
    gov_strings keys;
    gov_strings paths;
} rg_lists;

static void rg_lists_free(rg_lists *r)
{
    gov_strings_free(&r->keys);
    gov_strings_free(&r->paths);
}

typedef struct rg_collect {
    rg_lists *out;
    const char *collection;
} rg_collect;

static int rg_collect_one(void *arg, const cJSON *group, err_info *err)
{
    rg_collect *c = arg;
    const char *key = json_get_string(group, "_key");
    const char *name = json_get_string(group, "name");
    char sub[128];
    if (!key || !name || arm_subscription_of(key, sub, sizeof sub) != 0) {
        log_kv(LOG_WARN, "resource group without a usable id or name; its resources are skipped",
               "key", key ? key : "?", NULL);
        return 0;
    }
    char path[1024];
    int n = snprintf(path, sizeof path,
                     "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/%s"
                     "?api-version=" NET_API,
                     sub, name, c->collection);
    if (n < 0 || (size_t)n >= sizeof path)
        return 0;
    if (gov_strings_add(&c->out->keys, key, err) != 0 ||
        gov_strings_add(&c->out->paths, path, err) != 0)
        return -1;
    return 0;
}

static int collect_rg_lists(step_ctx *ctx, const char *collection, rg_lists *out, err_info *err)
{
    rg_collect c = {.out = out, .collection = collection};
    return step_iterate_entities(ctx, "azure_resource_group", rg_collect_one, &c, err);
}

/* ---- rm-network-ip-addresses ------------------------------------------- */

static const prop_map public_ip_props[] = {
    {"id", "id", MAP_STRING},
    {"resourceGuid", "properties.resourceGuid", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = map_rg},
    {"name", "name", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"region", "location", MAP_STRING},
    {"publicIp", "properties.ipAddress", MAP_STRING},
    {"publicIpAddress", "properties.ipAddress", MAP_STRING},
    {"public", NULL, MAP_CONST_BOOL, "true"},
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {"sku", "sku.name", MAP_STRING},
    {NULL},
};

static const entity_spec public_ip_spec = {
    .type = "azure_public_ip",
    .classes = {"IpAddress"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_TAGS,
    .props = public_ip_props,
};

/* Items of a collection whose entity needs only the table, the resource
 * group relationship and (afterwards) diagnostic settings. */
typedef struct simple_state {
    step_ctx *ctx;
    const entity_spec *spec;
} simple_state;

static int simple_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    simple_state *st = arg;
    gov_found e;
    bool ok;
    if (build_add(st->ctx, st->spec, item, NULL, NULL, &e, &ok, err) != 0)
        return -1;
    return ok ? arm_relate_resource_group(st->ctx, e.key, st->spec->type, err) : 0;
}

static int run_public_ips(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    simple_state st = {.ctx = ctx, .spec = &public_ip_spec};
    if (list_subscriptions(ctx, "publicIPAddresses", simple_item, &st, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_public_ip", NULL, err);
}

/* ---- rm-network-interfaces --------------------------------------------- */

/* privateIpAddresses(): the set privateIPAddress of each configuration
 * (an empty array when there are none, as lodash map gives). */
static int map_private_ips(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                           err_info *err)
{
    (void)item;
    (void)mctx;
    *out = cJSON_CreateArray();
    if (!*out)
        return nomem(err, "private IP addresses");
    const cJSON *c;
    cJSON_ArrayForEach(c, as_array(value))
    {
        const char *ip = arm_member_string(c, "privateIPAddress");
        if (ip && *ip && !cJSON_AddItemToArray(*out, cJSON_CreateString(ip)))
            return nomem(err, "private IP addresses");
    }
    return 0;
}

static const prop_map nic_props[] = {
    {"id", "id", MAP_STRING},
    {"resourceGuid", "properties.resourceGuid", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = map_rg},
    {"name", "name", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"virtualMachineId", "properties.virtualMachine.id", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"region", "location", MAP_STRING},
    {"privateIp", "properties.ipConfigurations", MAP_FN, .fn = map_private_ips},
    {"privateIpAddress", "properties.ipConfigurations", MAP_FN, .fn = map_private_ips},
    {"macAddress", "properties.macAddress", MAP_STRING},
    {"securityGroupId", "properties.networkSecurityGroup.id", MAP_STRING},
    {"ipForwarding", "properties.enableIPForwarding", MAP_BOOL},
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {NULL},
};

static const entity_spec nic_spec = {
    .type = "azure_nic",
    .classes = {"NetworkInterface"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_TAGS,
    .props = nic_props,
};

/* publicIp / publicIpAddress: for each IP configuration, the address of the
 * stored public IP whose id equals the configuration's reference exactly;
 * absent when the NIC has no ipConfigurations. */
static int nic_public_ips(cJSON *entity, const cJSON *item, void *arg, step_ctx *ctx,
                          err_info *err)
{
    (void)arg;
    const cJSON *configs = json_path(item, "properties.ipConfigurations");
    if (!cJSON_IsArray(configs))
        return 0;
    cJSON *ips = cJSON_CreateArray();
    if (!ips)
        return nomem(err, "a network interface");
    const cJSON *c;
    cJSON_ArrayForEach(c, configs)
    {
        const cJSON *ref = arm_member(c, "publicIPAddress");
        const char *id = json_get_string(ref, "id");
        if (!id)
            continue;
        cJSON *ip = step_load_entity(ctx, id);
        const char *key = json_get_string(ip, "_key");
        const char *type = json_get_string(ip, "_type");
        const char *addr = json_get_string(ip, "publicIp");
        bool match = key && type && strcmp(key, id) == 0 && strcmp(type, "azure_public_ip") == 0;
        if (match && addr && *addr && !cJSON_AddItemToArray(ips, cJSON_CreateString(addr))) {
            cJSON_Delete(ip);
            cJSON_Delete(ips);
            return nomem(err, "a network interface");
        }
        cJSON_Delete(ip);
    }
    cJSON *copy = cJSON_Duplicate(ips, 1);
    if (!copy || !json_set(entity, "publicIp", ips)) {
        cJSON_Delete(copy);
        return nomem(err, "a network interface");
    }
    return json_set(entity, "publicIpAddress", copy) ? 0 : nomem(err, "a network interface");
}

static int nic_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    step_ctx *ctx = arg;
    static const char *const children[] = {"ipConfigurations", NULL};
    cJSON *prepared = hoist_children(item, children);
    if (!prepared)
        return nomem(err, "a network interface");
    gov_found e;
    bool ok;
    int rc = build_add(ctx, &nic_spec, prepared, nic_public_ips, NULL, &e, &ok, err);
    if (rc == 0 && ok)
        rc = arm_relate_resource_group(ctx, e.key, "azure_nic", err);
    cJSON_Delete(prepared);
    return rc;
}

static int run_nics(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    return list_subscriptions(ctx, "networkInterfaces", nic_item, ctx, err);
}

/* ---- rm-network-security-groups ---------------------------------------- */

static int map_nsg_category(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                            cJSON **out, err_info *err)
{
    (void)value;
    (void)mctx;
    *out = cJSON_CreateArray();
    if (!*out)
        return nomem(err, "a security group");
    const cJSON *subnets = json_path(item, "properties.subnets");
    const cJSON *nics = json_path(item, "properties.networkInterfaces");
    if (cJSON_GetArraySize(subnets) > 0 && !cJSON_AddItemToArray(*out, cJSON_CreateString("network")))
        return nomem(err, "a security group");
    if (cJSON_GetArraySize(nics) > 0 && !cJSON_AddItemToArray(*out, cJSON_CreateString("host")))
        return nomem(err, "a security group");
    return 0;
}

static int map_wide_open(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                         err_info *err)
{
    (void)value;
    (void)mctx;
    *out = cJSON_CreateBool(net_is_wide_open(item));
    return *out ? 0 : nomem(err, "a security group");
}

static const prop_map nsg_props[] = {
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {"region", "location", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = map_rg},
    {"category", NULL, MAP_FN, .fn = map_nsg_category},
    {"isWideOpen", NULL, MAP_FN, .fn = map_wide_open},
    {NULL},
};

static const entity_spec nsg_spec = {
    .type = "azure_security_group",
    .classes = {"Firewall"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = nsg_props,
    .tag_properties = arm_tag_properties,
};

typedef struct nsg_state {
    step_ctx *ctx;
    cJSON *subnet_map;   /* subnet id -> security group id */
} nsg_state;

static int nsg_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    nsg_state *st = arg;
    static const char *const children[] = {"securityRules", "defaultSecurityRules", NULL};
    cJSON *prepared = hoist_children(item, children);
    if (!prepared)
        return nomem(err, "a security group");
    gov_found e;
    bool ok;
    int rc = build_add(st->ctx, &nsg_spec, prepared, NULL, NULL, &e, &ok, err);
    cJSON_Delete(prepared);
    if (rc != 0 || !ok)
        return rc;
    if (arm_relate_resource_group(st->ctx, e.key, "azure_security_group", err) != 0)
        return -1;
    const cJSON *n;
    cJSON_ArrayForEach(n, json_path(item, "properties.networkInterfaces"))
    {
        const char *nic = json_get_string(n, "id");
        if (nic && add_relationship(st->ctx,
                                    relationship_direct("PROTECTS", e.key, "azure_security_group",
                                                        nic, "azure_nic", NULL, NULL),
                                    nic, err) != 0)
            return -1;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, json_path(item, "properties.subnets"))
    {
        const char *subnet = json_get_string(s, "id");
        if (!subnet)
            continue;
        cJSON *v = cJSON_CreateString(e.key);
        bool set = v && (cJSON_GetObjectItemCaseSensitive(st->subnet_map, subnet)
                             ? cJSON_ReplaceItemInObjectCaseSensitive(st->subnet_map, subnet, v)
                             : cJSON_AddItemToObject(st->subnet_map, subnet, v));
        if (!set) {
            cJSON_Delete(v);
            return nomem(err, "the subnet security group map");
        }
    }
    return 0;
}

static int run_security_groups(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    nsg_state st = {.ctx = ctx, .subnet_map = cJSON_CreateObject()};
    if (!st.subnet_map)
        return nomem(err, "the subnet security group map");
    if (list_subscriptions(ctx, "networkSecurityGroups", nsg_item, &st, err) != 0) {
        cJSON_Delete(st.subnet_map);
        return -1;
    }
    if (step_data_set(ctx, SUBNET_NSG_MAP, st.subnet_map, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_security_group", NULL, err);
}

/* ---- rm-network-virtual-networks --------------------------------------- */

/* CIDR of a network: addressSpace.addressPrefixes[0]; absent without
 * addresses, false for an empty list (JavaScript's `a && b && len && x`). */
static cJSON *vnet_cidr(const cJSON *item)
{
    const cJSON *prefixes = json_path(item, "properties.addressSpace.addressPrefixes");
    if (!json_path(item, "properties.addressSpace") || !prefixes)
        return NULL;
    if (cJSON_IsArray(prefixes) && cJSON_GetArraySize(prefixes) == 0)
        return cJSON_CreateFalse();
    const cJSON *first = cJSON_GetArrayItem(prefixes, 0);
    return cJSON_IsString(first) ? cJSON_CreateString(first->valuestring) : NULL;
}

static int map_vnet_cidr(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                         err_info *err)
{
    (void)value;
    (void)mctx;
    (void)err;
    *out = vnet_cidr(item);
    return 0;
}

/* "{name} ({text})" with JavaScript's template conversion of text. */
static int display_with(const cJSON *item, const cJSON *cidr, cJSON **out, err_info *err)
{
    const char *name = json_get_string(item, "name");
    const char *text = cJSON_IsString(cidr) ? cidr->valuestring
                       : cJSON_IsFalse(cidr) ? "false"
                                             : "undefined";
    size_t n = strlen(name ? name : "undefined") + strlen(text) + 4;
    char *s = malloc(n);
    if (!s)
        return nomem(err, "a display name");
    snprintf(s, n, "%s (%s)", name ? name : "undefined", text);
    *out = cJSON_CreateString(s);
    free(s);
    return *out ? 0 : nomem(err, "a display name");
}

static int map_vnet_display(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                            cJSON **out, err_info *err)
{
    (void)value;
    (void)mctx;
    cJSON *cidr = vnet_cidr(item);
    int rc = display_with(item, cidr, out, err);
    cJSON_Delete(cidr);
    return rc;
}

static const prop_map vnet_props[] = {
    {"displayName", NULL, MAP_FN, .fn = map_vnet_display},
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {"CIDR", NULL, MAP_FN, .fn = map_vnet_cidr},
    {"public", NULL, MAP_CONST_BOOL, "false"},
    {"internal", NULL, MAP_CONST_BOOL, "true"},
    {"region", "location", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = map_rg},
    {NULL},
};

static const entity_spec vnet_spec = {
    .type = "azure_vnet",
    .classes = {"Network"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = vnet_props,
    .tag_properties = arm_tag_properties,
};

static int map_subnet_display(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                              cJSON **out, err_info *err)
{
    (void)mctx;
    return display_with(item, value, out, err);
}

static const prop_map subnet_props[] = {
    {"displayName", "properties.addressPrefix", MAP_FN, .fn = map_subnet_display},
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {"CIDR", "properties.addressPrefix", MAP_STRING},
    {"public", NULL, MAP_CONST_BOOL, "false"},
    {"internal", NULL, MAP_CONST_BOOL, "true"},
    {"resourceGroup", "id", MAP_FN, .fn = map_rg},
    {NULL},
};

static const entity_spec subnet_spec = {
    .type = "azure_subnet",
    .classes = {"Network"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = subnet_props,
};

/* region = the network's location; environment = its tags.environment. */
static int subnet_patch(cJSON *entity, const cJSON *item, void *arg, step_ctx *ctx, err_info *err)
{
    (void)item;
    (void)ctx;
    const cJSON *vnet = arg;
    const char *region = json_get_string(vnet, "location");
    /* a plain property in the reference (vnet.tags['environment'], as
     * is), not its tagProperties rule */
    const char *env = json_path_string(vnet, "tags.environment");
    cJSON_DeleteItemFromObjectCaseSensitive(entity, "region");
    cJSON_DeleteItemFromObjectCaseSensitive(entity, "environment");
    if ((region && !json_set(entity, "region", cJSON_CreateString(region))) ||
        (env && !json_set(entity, "environment", cJSON_CreateString(env))))
        return nomem(err, "a subnet");
    return 0;
}

typedef struct vnet_state {
    step_ctx *ctx;
    const cJSON *subnet_map;
} vnet_state;

static int vnet_subnet(vnet_state *st, const cJSON *vnet, const char *vnet_id, const cJSON *subnet,
                       err_info *err)
{
    gov_found e;
    bool ok;
    if (build_add(st->ctx, &subnet_spec, subnet, subnet_patch, (void *)vnet, &e, &ok, err) != 0)
        return -1;
    const char *id = json_get_string(subnet, "id");
    if (!id)
        return 0;
    if (add_relationship(st->ctx,
                         relationship_direct("CONTAINS", vnet_id, "azure_vnet", id, "azure_subnet",
                                             NULL, NULL),
                         id, err) != 0)
        return -1;
    const char *nsg = json_get_string(st->subnet_map, id);
    if (!nsg)
        return 0;
    return add_relationship(st->ctx,
                            relationship_direct("PROTECTS", nsg, "azure_security_group", id,
                                                "azure_subnet", NULL, NULL),
                            id, err);
}

static int vnet_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    vnet_state *st = arg;
    const char *vnet_id = json_get_string(item, "id");
    const cJSON *s;
    cJSON_ArrayForEach(s, as_array(vnet_id ? json_path(item, "properties.subnets") : NULL))
    {
        if (cJSON_IsObject(s) && vnet_subnet(st, item, vnet_id, s, err) != 0)
            return -1;
    }
    static const char *const children[] = {"subnets", NULL};
    cJSON *prepared = hoist_children(item, children);
    if (!prepared)
        return nomem(err, "a virtual network");
    gov_found e;
    bool ok;
    int rc = build_add(st->ctx, &vnet_spec, prepared, NULL, NULL, &e, &ok, err);
    cJSON_Delete(prepared);
    if (rc == 0 && ok)
        rc = arm_relate_resource_group(st->ctx, e.key, "azure_vnet", err);
    return rc;
}

static int run_virtual_networks(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    vnet_state st = {.ctx = ctx, .subnet_map = step_data_get(ctx, SUBNET_NSG_MAP)};
    if (list_subscriptions(ctx, "virtualNetworks", vnet_item, &st, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_vnet", NULL, err);
}

/* ---- rm-network-security-group-rules ----------------------------------- */

typedef struct subnet_index {
    gov_strings cidrs;
    gov_strings keys;
    gov_strings ids;
} subnet_index;

static void subnet_index_free(subnet_index *s)
{
    gov_strings_free(&s->cidrs);
    gov_strings_free(&s->keys);
    gov_strings_free(&s->ids);
}

static int subnet_index_one(void *arg, const cJSON *subnet, err_info *err)
{
    subnet_index *s = arg;
    const cJSON *raw = json_path(subnet, "_rawData.0.rawData");
    const char *cidr = arm_member_string(raw, "addressPrefix");
    const char *key = json_get_string(subnet, "_key");
    const char *id = json_get_string(subnet, "id");
    if (!cidr || !key)
        return 0;
    if (gov_strings_add(&s->cidrs, cidr, err) != 0 || gov_strings_add(&s->keys, key, err) != 0 ||
        gov_strings_add(&s->ids, id ? id : "undefined", err) != 0)
        return -1;
    return 0;
}

typedef struct rules_state {
    step_ctx *ctx;
    subnet_index subnets;
} rules_state;

/* rule.properties merged into a relationship (after its own members). */
static bool merge_properties(cJSON *rel, const cJSON *props)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        if (!json_set(rel, p->string, cJSON_Duplicate(p, 1)))
            return false;
    }
    return true;
}

static int rule_relationship(rules_state *st, const char *nsg_key, const cJSON *rule,
                             const cJSON *target, err_info *err)
{
    const cJSON *props = json_get(rule, "properties");
    const char *access = json_get_string(rule, "access");
    const char *cls = access && strcmp(access, "Allow") == 0 ? "ALLOWS" : "DENIES";
    bool ingress = cJSON_IsTrue(json_get(props, "ingress"));
    const char *port = json_get_string(props, "portRange");
    size_t plen = strlen(RULE_TYPE) + strlen(json_get_string(rule, "id")) + strlen(port) + 4;
    const char *kind = json_get_string(target, "kind");
    const cJSON *entity = json_get(target, "entity");

    if (strcmp(kind, "subnet") == 0) {
        const char *cidr = json_get_string(entity, "CIDR");
        size_t found = 0;
        for (size_t i = 0; i < st->subnets.cidrs.count; i++) {
            if (strcmp(st->subnets.cidrs.items[i], cidr) != 0)
                continue;
            found++;
            const char *skey = st->subnets.keys.items[i];
            const char *sid = st->subnets.ids.items[i];
            char *key = malloc(plen + strlen(sid) + 1);
            if (!key)
                return nomem(err, "a security group rule");
            snprintf(key, plen + strlen(sid) + 1, "%s:%s:%s:%s", RULE_TYPE,
                     json_get_string(rule, "id"), port, sid);
            cJSON *rel = ingress ? relationship_direct(cls, skey, "azure_subnet", nsg_key,
                                                       "azure_security_group", RULE_TYPE, key)
                                 : relationship_direct(cls, nsg_key, "azure_security_group", skey,
                                                       "azure_subnet", RULE_TYPE, key);
            free(key);
            if (rel && !merge_properties(rel, props)) {
                cJSON_Delete(rel);
                rel = NULL;
            }
            if (add_relationship(st->ctx, rel, skey, err) != 0)
                return -1;
        }
        if (!found)
            log_kv(LOG_WARN,
                   "Rule target thought to be a private subnet, none found matching CIDR!",
                   "securityGroup", nsg_key, "rule", json_get_string(rule, "id"), "cidr", cidr,
                   NULL);
        return 0;
    }

    const char *suffix = json_get_string(target, "keySuffix");
    char *key = malloc(plen + strlen(suffix) + 1);
    const char *filter[16];
    size_t nf = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, json_get(target, "filterKeys"))
    {
        if (nf < 15)
            filter[nf++] = k->valuestring;
    }
    filter[nf] = NULL;
    cJSON *copy = cJSON_Duplicate(entity, 1);
    if (!key || !copy) {
        free(key);
        cJSON_Delete(copy);
        return nomem(err, "a security group rule");
    }
    snprintf(key, plen + strlen(suffix) + 1, "%s:%s:%s:%s", RULE_TYPE, json_get_string(rule, "id"),
             port, suffix);
    cJSON *rel = relationship_mapped(cls, RULE_TYPE, nsg_key, ingress ? STEP_REVERSE : STEP_FORWARD,
                                     copy, filter, 0, key);
    free(key);
    if (rel && !merge_properties(rel, props)) {
        cJSON_Delete(rel);
        rel = NULL;
    }
    return add_relationship(st->ctx, rel, suffix, err);
}

/* Run per security group in a json_scope (json_scoped_item): the rules and
 * their relationships are gone once added. */
static int nsg_rules(void *arg, const cJSON *nsg_entity, err_info *err)
{
    rules_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *nsg_key = json_get_string(nsg_entity, "_key");
    const cJSON *raw = json_path(nsg_entity, "_rawData.0.rawData");
    if (!nsg_key || !raw)
        return 0;
    cJSON *rules = net_security_group_rules(raw);
    if (!rules)
        return nomem(err, "security group rules");
    int rc = 0;
    const cJSON *rule;
    cJSON_ArrayForEach(rule, rules)
    {
        const cJSON *t;
        cJSON_ArrayForEach(t, json_get(rule, "targets"))
        {
            if ((rc = rule_relationship(st, nsg_key, rule, t, err)) != 0)
                break;
        }
        if (rc != 0)
            break;
    }
    cJSON_Delete(rules);
    return rc;
}

static int run_security_group_rules(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rules_state st = {.ctx = ctx};
    int rc = step_iterate_entities(ctx, "azure_subnet", subnet_index_one, &st.subnets, err);
    if (rc == 0)
        rc = step_iterate_entities(ctx, "azure_security_group", json_scoped_item,
                                   &(json_scoped){nsg_rules, &st}, err);
    subnet_index_free(&st.subnets);
    return rc;
}

/* ---- rm-network-load-balancers ----------------------------------------- */

/* publicIpAddresses(): publicIPAddress.ipAddress of the frontends that have
 * a publicIPAddress — only the addresses present (see the file comment). */
static int map_lb_public_ips(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                             cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    *out = cJSON_CreateArray();
    if (!*out)
        return nomem(err, "a load balancer");
    const cJSON *c;
    cJSON_ArrayForEach(c, as_array(value))
    {
        const cJSON *pub = arm_member(c, "publicIPAddress");
        const char *ip = pub ? arm_member_string(pub, "ipAddress") : NULL;
        if (ip && !cJSON_AddItemToArray(*out, cJSON_CreateString(ip)))
            return nomem(err, "a load balancer");
    }
    return 0;
}

static int map_lb_public(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                         err_info *err)
{
    (void)item;
    (void)mctx;
    int n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, as_array(value))
    {
        const cJSON *pub = arm_member(c, "publicIPAddress");
        n += pub && !cJSON_IsNull(pub) && !cJSON_IsFalse(pub);
    }
    *out = cJSON_CreateBool(n > 0);
    return *out ? 0 : nomem(err, "a load balancer");
}

static const prop_map lb_props[] = {
    {"category", NULL, MAP_CONST_STRING_ARRAY, "network"},
    {"function", NULL, MAP_CONST_STRING_ARRAY, "load-balancing"},
    {"resourceGuid", "properties.resourceGuid", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = map_rg},
    {"displayName", "name", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"region", "location", MAP_STRING},
    {"publicIp", "properties.frontendIPConfigurations", MAP_FN, .fn = map_lb_public_ips},
    {"privateIp", "properties.frontendIPConfigurations", MAP_FN, .fn = map_private_ips},
    {"public", "properties.frontendIPConfigurations", MAP_FN, .fn = map_lb_public},
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {NULL},
};

static const entity_spec lb_spec = {
    .type = "azure_lb",
    .classes = {"Gateway"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = lb_props,
};

static int lb_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    step_ctx *ctx = arg;
    static const char *const children[] = {"frontendIPConfigurations", "backendAddressPools", NULL};
    cJSON *prepared = hoist_children(item, children);
    if (!prepared)
        return nomem(err, "a load balancer");
    gov_found e;
    bool ok;
    int rc = build_add(ctx, &lb_spec, prepared, NULL, NULL, &e, &ok, err);
    cJSON_Delete(prepared);
    if (rc != 0 || !ok)
        return rc;
    if (arm_relate_resource_group(ctx, e.key, "azure_lb", err) != 0)
        return -1;
    const cJSON *pool;
    cJSON_ArrayForEach(pool, json_path(item, "properties.backendAddressPools"))
    {
        const cJSON *ip;
        cJSON_ArrayForEach(ip, arm_member(pool, "backendIPConfigurations"))
        {
            const char *id = json_get_string(ip, "id");
            if (!id)
                continue;
            const char *cut = strstr(id, "/ipConfigurations");
            size_t n = cut ? (size_t)(cut - id) : strlen(id);
            char nic[1024];
            if (n >= sizeof nic)
                continue;
            memcpy(nic, id, n);
            nic[n] = '\0';
            cJSON *rel = relationship_direct("CONNECTS", e.key, "azure_lb", nic, "azure_nic", NULL,
                                             NULL);
            const char *key = rel ? json_get_string(rel, "_key") : NULL;
            if (key && step_has_key(ctx, key)) {   /* one per (lb, nic) */
                cJSON_Delete(rel);
                continue;
            }
            if (add_relationship(ctx, rel, nic, err) != 0)
                return -1;
        }
    }
    return 0;
}

static int run_load_balancers(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    if (list_subscriptions(ctx, "loadBalancers", lb_item, ctx, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_lb", NULL, err);
}

/* ---- rm-network-azure-firewalls ---------------------------------------- */

/* The reference's flatten(): nested keys joined with '.', a nested key
 * named "value" collapsed into its parent, null kept, empty arrays dropped,
 * arrays of primitives kept (arrays of objects cannot be entity
 * properties and are dropped). */
static bool flatten_into(cJSON *entity, const char *prefix, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, v)
        {
            char key[1024];
            if (strcmp(c->string, "value") == 0)
                snprintf(key, sizeof key, "%s", prefix);
            else
                snprintf(key, sizeof key, "%s.%s", prefix, c->string);
            if (!flatten_into(entity, key, c))
                return false;
        }
        return true;
    }
    if (cJSON_IsArray(v)) {
        if (cJSON_GetArraySize(v) == 0 || cJSON_IsObject(v->child) || cJSON_IsArray(v->child))
            return true;
        return json_set(entity, prefix, cJSON_Duplicate(v, 1));
    }
    return json_set(entity, prefix, cJSON_Duplicate(v, 1));
}

static int firewall_fixup(const cJSON *item, cJSON *entity, const map_ctx *mctx, err_info *err)
{
    (void)mctx;
    static const char *const objects[] = {"additionalProperties", "virtualHub", "firewallPolicy",
                                          "managementIpConfiguration"};
    for (size_t i = 0; i < 4; i++) {
        const cJSON *v = json_get(json_get(item, "properties"), objects[i]);
        if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
            continue;
        cJSON *sdk = cJSON_IsObject(v) ? entity_map_sdk_object(v, NULL) : cJSON_Duplicate(v, 1);
        bool ok = sdk && flatten_into(entity, objects[i], sdk);
        cJSON_Delete(sdk);
        if (!ok)
            return nomem(err, "an Azure firewall");
    }
    return 0;
}

static int map_zones(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                     err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    if (!cJSON_IsArray(value))
        return 0;
    *out = cJSON_Duplicate(value, 1);
    return *out ? 0 : nomem(err, "an Azure firewall");
}

static const prop_map firewall_props[] = {
    {"id", "id", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "network"},
    {"region", "location", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"provisioningState", "properties.provisioningState", MAP_STRING},
    {"threatIntelMode", "properties.threatIntelMode", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"zones", "zones", MAP_FN, .fn = map_zones, .flags = MAPF_KEEP_EXISTING},
    {NULL},
};

static const entity_spec firewall_spec = {
    .type = "azure_network_azure_firewall",
    .classes = {"Firewall"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = firewall_props,
    .fixup = firewall_fixup,
};

static int run_firewalls(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rg_lists groups = {0};
    simple_state st = {.ctx = ctx, .spec = &firewall_spec};
    int rc = collect_rg_lists(ctx, "azureFirewalls", &groups, err);
    if (rc == 0)
        rc = gov_list_parallel(ctx, groups.paths.items, groups.paths.count, simple_item, &st, err);
    rg_lists_free(&groups);
    if (rc != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_network_azure_firewall", NULL, err);
}

/* ---- rm-network-watchers ----------------------------------------------- */

static const prop_map watcher_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"location", "location", MAP_STRING},
    {"provisioningState", "properties.provisioningState", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {NULL},
};

static const entity_spec watcher_spec = {
    .type = "azure_network_watcher",
    .classes = {"Resource"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = watcher_props,
};

typedef struct watcher_state {
    step_ctx *ctx;
    rg_lists groups;
} watcher_state;

static int watcher_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    watcher_state *st = arg;
    gov_found e, group;
    bool ok;
    if (build_add(st->ctx, &watcher_spec, item, NULL, NULL, &e, &ok, err) != 0)
        return -1;
    if (!ok || !gov_find(st->ctx, st->groups.keys.items[index], &group))
        return 0;
    return gov_relate(st->ctx, "HAS", group.key, "azure_resource_group", e.key,
                      "azure_network_watcher", NULL, err);
}

static int run_watchers(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    watcher_state st = {.ctx = ctx};
    int rc = collect_rg_lists(ctx, "networkWatchers", &st.groups, err);
    if (rc == 0)
        rc = gov_list_parallel(ctx, st.groups.paths.items, st.groups.paths.count, watcher_item,
                               &st, err);
    rg_lists_free(&st.groups);
    return rc;
}

/* ---- rm-network-location-watcher-relationships ------------------------- */

/* The reference's locationNameMap, stored by rm-subscription-locations
 * (steps/subscriptions.c): {location name: {"_key", "_type"}}. */
#define LOCATION_NAME_MAP "DATA_LOCATION_NAME_MAP"

typedef struct location_state {
    step_ctx *ctx;
    const cJSON *names;
} location_state;

static int watcher_location(void *arg, const cJSON *watcher, err_info *err)
{
    location_state *st = arg;
    const char *key = json_get_string(watcher, "_key");
    const char *location = json_get_string(watcher, "location");
    const cJSON *loc = location ? cJSON_GetObjectItemCaseSensitive(st->names, location) : NULL;
    const char *loc_key = json_get_string(loc, "_key");
    if (!key || !loc_key) {
        log_kv(LOG_WARN,
               "WARNING: Could not find matching location for network watcher. The "
               "locationNameMap may be constructed incorrectly",
               "networkWatcherLocation", location ? location : "", "networkWatcher",
               key ? key : "?", NULL);
        return 0;
    }
    return gov_relate(st->ctx, "HAS", loc_key, "azure_location", key, "azure_network_watcher",
                      "azure_location_has_network_watcher", err);
}

static int run_location_watchers(step_ctx *ctx, err_info *err)
{
    location_state st = {.ctx = ctx, .names = step_data_get(ctx, LOCATION_NAME_MAP)};
    if (!cJSON_IsObject(st.names)) {
        err_set(err, ERR_INTERNAL,
                "Could not find locationNameMap data in job state; cannot build location => "
                "network watcher relationships (LOCATION_NAME_MAP_NOT_FOUND)");
        return err_hint(err, "step rm-subscription-locations must succeed first; see its error");
    }
    return step_iterate_entities(ctx, "azure_network_watcher", watcher_location, &st, err);
}

/* ---- rm-network-flow-logs ---------------------------------------------- */

static const prop_map flow_log_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"location", "location", MAP_STRING},
    {"targetResourceId", "properties.targetResourceId", MAP_STRING},
    {"storageId", "properties.storageId", MAP_STRING},
    {"enabled", "properties.enabled", MAP_BOOL},
    {"retentionPolicy.enabled", "properties.retentionPolicy.enabled", MAP_BOOL},
    {"retentionPolicy.days", "properties.retentionPolicy.days", MAP_NUMBER},
    {"webLink", "id", MAP_FN, .fn = map_weblink},
    {NULL},
};

static const entity_spec flow_log_spec = {
    .type = "azure_security_group_flow_logs",
    .classes = {"Logs"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = flow_log_props,
};

typedef struct flow_state {
    step_ctx *ctx;
    gov_strings watchers;   /* watcher keys, index = list index */
    gov_strings paths;
} flow_state;

static int flow_collect(void *arg, const cJSON *watcher, err_info *err)
{
    flow_state *st = arg;
    const char *key = json_get_string(watcher, "_key");
    const char *id = json_get_string(watcher, "id");
    const char *name = json_get_string(watcher, "name");
    char sub[128], rg[512], path[2048];
    if (!key || !id || !name || arm_subscription_of(id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(id, rg, sizeof rg) != 0) {
        log_kv(LOG_WARN, "network watcher without a usable id; its flow logs are skipped", "key",
               key ? key : "?", NULL);
        return 0;
    }
    int n = snprintf(path, sizeof path,
                     "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                     "networkWatchers/%s/flowLogs?api-version=" NET_API,
                     sub, rg, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return 0;
    if (gov_strings_add(&st->watchers, key, err) != 0 || gov_strings_add(&st->paths, path, err) != 0)
        return -1;
    return 0;
}

static int flow_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    flow_state *st = arg;
    gov_found e, found;
    bool ok;
    if (build_add(st->ctx, &flow_log_spec, item, NULL, NULL, &e, &ok, err) != 0)
        return -1;
    if (!ok)
        return 0;
    if (gov_relate(st->ctx, "HAS", st->watchers.items[index], "azure_network_watcher", e.key,
                   "azure_security_group_flow_logs", NULL, err) != 0)
        return -1;
    const char *nsg = json_path_string(item, "properties.targetResourceId");
    if (gov_find(st->ctx, nsg, &found) && strcmp(found.type, "azure_security_group") == 0) {
        if (gov_relate(st->ctx, "HAS", found.key, found.type, e.key,
                       "azure_security_group_flow_logs", NULL, err) != 0)
            return -1;
    } else {
        log_kv(LOG_WARN,
               "Could not find network security group by ID; no relationship can be built "
               "between flow log -> security group",
               "nsgFlowLogId", e.key, "securityGroupId", nsg ? nsg : "", NULL);
    }
    const char *storage = json_path_string(item, "properties.storageId");
    if (gov_find(st->ctx, storage, &found) && strcmp(found.type, "azure_storage_account") == 0)
        return gov_relate(st->ctx, "USES", e.key, "azure_security_group_flow_logs", found.key,
                          found.type, NULL, err);
    log_kv(LOG_WARN,
           "Could not find storage account by ID; no relationship can be built between flow "
           "log -> storage account",
           "nsgFlowLogId", e.key, "storageId", storage ? storage : "", NULL);
    return 0;
}

static int run_flow_logs(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    flow_state st = {.ctx = ctx};
    int rc = step_iterate_entities(ctx, "azure_network_watcher", flow_collect, &st, err);
    if (rc == 0)
        rc = gov_list_parallel(ctx, st.paths.items, st.paths.count, flow_item, &st, err);
    gov_strings_free(&st.watchers);
    gov_strings_free(&st.paths);
    return rc;
}

/* ---- the step table ---------------------------------------------------- */

#define RULE_DECL(cls, from, to)                                                              \
    {.type = RULE_TYPE, .class_name = cls, .source_type = from, .target_type = to}

static const step_def step_public_ips = {
    .id = "rm-network-ip-addresses",
    .name = "Public IP Addresses",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Public IP Address", "azure_public_ip", {"IpAddress"}}, DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("public_ip"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_public_ips,
};

static const step_def step_nics = {
    .id = "rm-network-interfaces",
    .name = "Network Interfaces",
    .depends_on = {"ad-account", "rm-network-ip-addresses", "rm-resources-resource-groups"},
    .entities = {{"[RM] Network Interface", "azure_nic", {"NetworkInterface"}}},
    .relationships = {ARM_RG_HAS_DECL("nic")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_nics,
};

static const step_def step_virtual_networks = {
    .id = "rm-network-virtual-networks",
    .name = "Virtual Networks",
    .depends_on = {"ad-account", "rm-network-security-groups", "rm-resources-resource-groups"},
    .entities = {{"[RM] Virtual Network", "azure_vnet", {"Network"}},
                 {"[RM] Subnet", "azure_subnet", {"Network"}},
                 DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("vnet"),
                      {"azure_vnet_contains_subnet", "CONTAINS", "azure_vnet", "azure_subnet"},
                      {"azure_security_group_protects_subnet", "PROTECTS", "azure_security_group",
                       "azure_subnet"},
                      DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_virtual_networks,
};

static const step_def step_security_groups = {
    .id = "rm-network-security-groups",
    .name = "Network Security Groups",
    .depends_on = {"ad-account", "rm-network-interfaces", "rm-resources-resource-groups"},
    .entities = {{"[RM] Security Group", "azure_security_group", {"Firewall"}}, DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("security_group"),
                      {"azure_security_group_protects_nic", "PROTECTS", "azure_security_group",
                       "azure_nic"},
                      DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_security_groups,
};

static const step_def step_load_balancers = {
    .id = "rm-network-load-balancers",
    .name = "Load Balancers",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Load Balancer", "azure_lb", {"Gateway"}}, DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("lb"),
                      {"azure_lb_connects_nic", "CONNECTS", "azure_lb", "azure_nic"},
                      DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_load_balancers,
};

static const step_def step_firewalls = {
    .id = "rm-network-azure-firewalls",
    .name = "Network Azure Firewalls",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Network Azure Firewall", "azure_network_azure_firewall", {"Firewall"}},
                 DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("network_azure_firewall"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_firewalls,
};

static const step_def step_security_group_rules = {
    .id = "rm-network-security-group-rules",
    .name = "Network Security Group Rules",
    .depends_on = {"ad-account", "rm-network-security-groups", "rm-network-virtual-networks"},
    .relationships = {RULE_DECL("ALLOWS", "azure_security_group", "azure_subnet"),
                      RULE_DECL("ALLOWS", "azure_subnet", "azure_security_group"),
                      RULE_DECL("DENIES", "azure_security_group", "azure_subnet"),
                      RULE_DECL("DENIES", "azure_subnet", "azure_security_group")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_security_group_rules,
};

static const step_def step_watchers = {
    .id = "rm-network-watchers",
    .name = "Network Watchers",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Network Watcher", "azure_network_watcher", {"Resource"}}},
    .relationships = {ARM_RG_HAS_DECL("network_watcher")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_watchers,
};

static const step_def step_location_watchers = {
    .id = "rm-network-location-watcher-relationships",
    .name = "Location-Network Watcher Relationships",
    .depends_on = {"rm-network-watchers", "rm-subscription-locations"},
    .relationships = {{"azure_location_has_network_watcher", "HAS", "azure_location",
                       "azure_network_watcher"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_location_watchers,
};

static const step_def step_flow_logs = {
    .id = "rm-network-flow-logs",
    .name = "Network Securtiy Group Flow Logs",
    .depends_on = {"rm-network-watchers", "rm-network-security-groups", "rm-storage-resources"},
    .entities = {{"[RM] Security Group Flow Logs", "azure_security_group_flow_logs", {"Logs"}}},
    .relationships = {{"azure_network_watcher_has_security_group_flow_logs", "HAS",
                       "azure_network_watcher", "azure_security_group_flow_logs"},
                      {"azure_security_group_has_flow_logs", "HAS", "azure_security_group",
                       "azure_security_group_flow_logs"},
                      {"azure_security_group_flow_logs_uses_storage_account", "USES",
                       "azure_security_group_flow_logs", "azure_storage_account"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_flow_logs,
};

const step_def *const steps_network[] = {&step_public_ips,
                                         &step_nics,
                                         &step_virtual_networks,
                                         &step_security_groups,
                                         &step_load_balancers,
                                         &step_firewalls,
                                         &step_security_group_rules,
                                         &step_watchers,
                                         &step_location_watchers,
                                         &step_flow_logs,
                                         NULL};

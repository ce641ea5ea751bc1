/*
 * interservice: relationships between compute and network resources
 * (reference graph-azure src/steps/resource-manager/interservice/): each
 * virtual machine USES the network interfaces it lists, every subnet those
 * interfaces are configured in HAS the VM (once per subnet), and the VM
 * USES each public IP address of those configurations.  No calls: the VMs'
 * and NICs' stored _rawData are read.
 *
 * The NICs are read once into a table sorted by lower-cased key (their
 * subnet and public-IP ids only), then each VM is resolved against it, so
 * a VM's NIC id matches whatever its case (the reference compares exactly).
 * Subnets and public IPs are written with their stored _key when ingested;
 * otherwise with the id the NIC gives, as the reference does (this step
 * does not depend on the virtual-network step: JupiterOne resolves the key
 * when the subnet is uploaded by the same job).
 */
#include "common/json.h"
#include "common/log.h"
#include "engine/relationship.h"
#include "engine/step.h"
#include "steps/compute.h"
#include "steps/gov_common.h"
#include "steps/interservice.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct nic_row {
    char *lower_key;   /* sort key */
    char *key;         /* stored _key */
    gov_strings subnets;
    gov_strings public_ips;
} nic_row;

typedef struct nic_table {
    nic_row *rows;
    size_t count, cap;
} nic_table;

static void nic_table_free(nic_table *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->rows[i].lower_key);
        free(t->rows[i].key);
        gov_strings_free(&t->rows[i].subnets);
        gov_strings_free(&t->rows[i].public_ips);
    }
    free(t->rows);
    memset(t, 0, sizeof *t);
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* A field of an ip configuration, flattened (SDK model) or as ARM nests it. */
static const char *ip_config_id(const cJSON *c, const char *field)
{
    const cJSON *v = json_get(c, field);
    if (!v)
        v = json_get(json_get(c, "properties"), field);
    return json_get_string(v, "id");
}

static const cJSON *raw_field(const cJSON *raw, const char *field)
{
    const cJSON *v = json_get(raw, field);
    return v ? v : json_get(json_get(raw, "properties"), field);
}

static int collect_nic(void *arg, const cJSON *nic, err_info *err)
{
    nic_table *t = arg;
    const char *key = json_get_string(nic, "_key");
    if (!key)
        return 0;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        nic_row *rows = realloc(t->rows, cap * sizeof *rows);
        if (!rows)
            return err_set(err, ERR_NOMEM, "out of memory reading network interfaces");
        t->rows = rows;
        t->cap = cap;
    }
    nic_row *r = &t->rows[t->count];
    memset(r, 0, sizeof *r);
    r->lower_key = lower_dup(key);
    r->key = strdup(key);
    t->count++;
    if (!r->lower_key || !r->key)
        return err_set(err, ERR_NOMEM, "out of memory reading network interfaces");
    const cJSON *c;
    cJSON_ArrayForEach(c, raw_field(compute_raw_data(nic), "ipConfigurations"))
    {
        const char *subnet = ip_config_id(c, "subnet");
        const char *ip = ip_config_id(c, "publicIPAddress");
        if (subnet && gov_strings_add(&r->subnets, subnet, err) != 0)
            return -1;
        if (ip && gov_strings_add(&r->public_ips, ip, err) != 0)
            return -1;
    }
    return 0;
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const nic_row *)a)->lower_key, ((const nic_row *)b)->lower_key);
}

static const nic_row *nic_lookup(const nic_table *t, const char *id)
{
    nic_row probe = {.lower_key = lower_dup(id)};
    if (!probe.lower_key)
        return NULL;
    const nic_row *r = bsearch(&probe, t->rows, t->count, sizeof *t->rows, row_cmp);
    free(probe.lower_key);
    return r;
}

typedef struct vm_state {
    step_ctx *ctx;
    nic_table nics;
} vm_state;

/* The stored key of `id` when an entity of `type` has it, else id. */
static const char *endpoint_key(step_ctx *ctx, const char *id, const char *type, gov_found *buf)
{
    if (gov_find(ctx, id, buf) && strcmp(buf->type, type) == 0)
        return buf->key;
    return id;
}

static int relate(step_ctx *ctx, const char *class_name, const char *from, const char *from_type,
                  const char *to, const char *to_type, const char *type, const char *vm_id,
                  err_info *err)
{
    cJSON *rel = relationship_direct(class_name, from, from_type, to, to_type, type, NULL);
    if (rel && vm_id && !cJSON_AddStringToObject(rel, "vmId", vm_id)) {
        cJSON_Delete(rel);
        rel = NULL;
    }
    if (!rel)
        return err_set(err, ERR_NOMEM, "out of memory building a relationship");
    return gov_add(ctx, rel, false, to, err);
}

static int relate_nic(vm_state *st, const char *vm_key, const char *vm_id, const nic_row *nic,
                      err_info *err)
{
    step_ctx *ctx = st->ctx;
    if (relate(ctx, "USES", vm_key, "azure_vm", nic->key, "azure_nic", "azure_vm_uses_nic", vm_id,
               err) != 0)
        return -1;
    for (size_t i = 0; i < nic->subnets.count; i++) {
        gov_found buf;
        const char *subnet = endpoint_key(ctx, nic->subnets.items[i], "azure_subnet", &buf);
        cJSON *rel = relationship_direct("HAS", subnet, "azure_subnet", vm_key, "azure_vm",
                                         "azure_subnet_has_vm", NULL);
        if (!rel)
            return err_set(err, ERR_NOMEM, "out of memory building a relationship");
        /* one subnet -> VM relationship however many configurations */
        if (step_has_key(ctx, json_get_string(rel, "_key"))) {
            cJSON_Delete(rel);
            continue;
        }
        if (gov_add(ctx, rel, false, subnet, err) != 0)
            return -1;
    }
    for (size_t i = 0; i < nic->public_ips.count; i++) {
        gov_found buf;
        const char *ip = endpoint_key(ctx, nic->public_ips.items[i], "azure_public_ip", &buf);
        if (relate(ctx, "USES", vm_key, "azure_vm", ip, "azure_public_ip",
                   "azure_vm_uses_public_ip", vm_id, err) != 0)
            return -1;
    }
    return 0;
}

static int vm_network(void *arg, const cJSON *vm, err_info *err)
{
    vm_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *key = json_get_string(vm, "_key");
    const cJSON *raw = compute_raw_data(vm);
    if (!key || !raw) {
        log_kv(LOG_WARN, "virtual machine without raw data; its network relationships are skipped",
               "id", key ? key : "?", NULL);
        return 0;
    }
    const cJSON *vid = raw_field(raw, "vmId");
    const char *vm_id = cJSON_IsString(vid) ? vid->valuestring : NULL;
    const cJSON *ref;
    cJSON_ArrayForEach(ref, json_get(raw_field(raw, "networkProfile"), "networkInterfaces"))
    {
        const char *id = json_get_string(ref, "id");
        const nic_row *nic = id ? nic_lookup(&st->nics, id) : NULL;
        if (!nic) {
            log_kv(LOG_DEBUG, "network interface of a virtual machine not ingested", "vm", key,
                   NULL);
            continue;
        }
        if (relate_nic(st, key, vm_id, nic, err) != 0)
            return -1;
    }
    return 0;
}

static int run_compute_network(step_ctx *ctx, err_info *err)
{
    vm_state st = {.ctx = ctx};
    int rc = step_iterate_entities(ctx, "azure_nic", collect_nic, &st.nics, err);
    if (rc == 0) {
        qsort(st.nics.rows, st.nics.count, sizeof *st.nics.rows, row_cmp);
        rc = step_iterate_entities(ctx, "azure_vm", vm_network, &st, err);
    }
    nic_table_free(&st.nics);
    return rc;
}

static const step_def step_compute_network = {
    .id = "rm-compute-network-relationships",
    .name = "Compute Network Relationships",
    .depends_on = {"ad-account", "rm-compute-virtual-machines", "rm-network-interfaces",
                   "rm-network-ip-addresses"},
    .relationships = {{"azure_subnet_has_vm", "HAS", "azure_subnet", "azure_vm"},
                      {"azure_vm_uses_nic", "USES", "azure_vm", "azure_nic"},
                      {"azure_vm_uses_public_ip", "USES", "azure_vm", "azure_public_ip"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_compute_network,
};

const step_def *const steps_interservice[] = {&step_compute_network, NULL};

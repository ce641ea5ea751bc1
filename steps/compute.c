/*
 * compute: virtual machine images, managed disks, virtual machines, their
 * disk relationships and extensions (docs/spec/azure-sources part-b §1;
 * reference graph-azure src/steps/resource-manager/compute/).
 *
 * Images, disks and VMs are ARM lists per ingested subscription (all
 * subscriptions in parallel), mapped by raw-object tables (no schema
 * pass-through) and related to their resource group.  The disk-relationship
 * step makes no calls: it reads each VM's stored _rawData.  Extensions are
 * listed per VM, every VM in parallel within the client's bounds; the
 * extension entity is shared by every VM using it (keyed by publisher and
 * name, the first VM's copy wins) and each use is a relationship carrying
 * the VM-specific extension id.
 *
 * Deviations from the reference, both deliberate:
 * - managed disks are found by id case-insensitively (the reference's exact
 *   match misses every recorded pair: VMs say resourceGroups/j1dev, the disk
 *   list J1DEV), and relationships use the disk's stored _key;
 * - the disk list follows nextLink (the reference read only the first page).
 * The extension step produces azure_vm_uses_extension although the
 * reference does not declare it; the engine only stores declared types, so
 * it is declared here (the reference's constants define it).
 */
#include "common/json.h"
#include "common/log.h"
#include "engine/entity_map.h"
#include "engine/relationship.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/compute.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VM_API "2019-07-01"
#define IMAGE_API "2019-07-01"
#define DISK_API "2019-11-01"

/* ---- shared conversions ------------------------------------------------ */

/* Absent: removes a field convertProperties copied although the SDK model
 * holds a Date (an object, skipped by convertProperties). */
static int absent(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                  err_info *err)
{
    (void)value;
    (void)item;
    (void)mctx;
    (void)err;
    *out = NULL;
    return 0;
}

static bool has_managed_disk(const cJSON *disk)
{
    return cJSON_IsObject(disk) && json_get(disk, "managedDisk") != NULL;
}

/* usesManagedDisks: the OS disk and every data disk have managedDisk. */
static int uses_managed_disks(const cJSON *profile, const cJSON *item, const map_ctx *mctx,
                              cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    bool managed = has_managed_disk(json_get(profile, "osDisk"));
    const cJSON *d;
    cJSON_ArrayForEach(d, json_get(profile, "dataDisks"))
    {
        if (!has_managed_disk(d))
            managed = false;
    }
    *out = cJSON_CreateBool(managed);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping usesManagedDisks");
}

const cJSON *compute_raw_data(const cJSON *entity)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, json_get(entity, "_rawData"))
    {
        const char *name = json_get_string(r, "name");
        if (name && strcmp(name, "default") == 0)
            return json_get(r, "rawData");
    }
    return NULL;
}

static int relate_group(step_ctx *ctx, const cJSON *item, const char *key, const char *type,
                        err_info *err)
{
    (void)item;
    return arm_relate_resource_group(ctx, key, type, err);
}

/* ---- rm-compute-virtual-machine-images --------------------------------- */

static const prop_map image_props[] = {
    {"displayName", "name", MAP_STRING},
    {"region", "location", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec compute_image_spec = {
    .type = "azure_image",
    .classes = {"Image"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_TAGS,
    .props = image_props,
};

static int image_group(step_ctx *ctx, const cJSON *item, const char *key, err_info *err)
{
    return relate_group(ctx, item, key, "azure_image", err);
}

static const gov_sub_collection images = {
    .spec = &compute_image_spec,
    .path_fmt = "/subscriptions/%s/providers/Microsoft.Compute/images?api-version=" IMAGE_API,
    .after = image_group,
};

/* ---- rm-compute-virutal-machine-disks ---------------------------------- */

static const prop_map disk_props[] = {
    {"timeCreated", "properties.timeCreated", MAP_FN, .fn = absent},
    {"displayName", "name", MAP_STRING},
    {"region", "location", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"createdOn", "properties.timeCreated", MAP_TIME_MS},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"encrypted", "properties.encryption.type", MAP_NONEMPTY},
    {"encryption", "properties.encryption.type", MAP_STRING},
    {"state", "properties.diskState", MAP_LOWER},
    {"attached", "properties.diskState", MAP_EQUALS, "Attached"},
    {NULL},
};

const entity_spec compute_disk_spec = {
    .type = "azure_managed_disk",
    .classes = {"DataStore", "Disk"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_TAGS,
    .props = disk_props,
};

static int disk_group(step_ctx *ctx, const cJSON *item, const char *key, err_info *err)
{
    return relate_group(ctx, item, key, "azure_managed_disk", err);
}

static const gov_sub_collection disks = {
    .spec = &compute_disk_spec,
    .path_fmt = "/subscriptions/%s/providers/Microsoft.Compute/disks?api-version=" DISK_API,
    .after = disk_group,
};

/* ---- rm-compute-virtual-machines --------------------------------------- */

static const prop_map vm_props[] = {
    {"platform", "properties.storageProfile.osDisk.osType", MAP_LOWER},
    {"osName", "properties.storageProfile.imageReference.offer", MAP_STRING},
    {"osVersion", "properties.storageProfile.imageReference.exactVersion", MAP_STRING},
    {"adminUser", "properties.osProfile.adminUsername", MAP_STRING},
    {"disablePasswordAuthentication",
     "properties.osProfile.linuxConfiguration.disablePasswordAuthentication", MAP_BOOL},
    {"enableAutomaticUpdates", "properties.osProfile.windowsConfiguration.enableAutomaticUpdates",
     MAP_BOOL},
    {"timeZone", "properties.osProfile.windowsConfiguration.timeZone", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"vmId", "properties.vmId", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"region", "location", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"state", "properties.provisioningState", MAP_STRING},
    {"vmSize", "properties.hardwareProfile.vmSize", MAP_STRING},
    {"usesManagedDisks", "properties.storageProfile", MAP_FN, .fn = uses_managed_disks},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec compute_vm_spec = {
    .type = "azure_vm",
    .classes = {"Host"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_TAGS,
    .props = vm_props,
};

static int vm_group(step_ctx *ctx, const cJSON *item, const char *key, err_info *err)
{
    return relate_group(ctx, item, key, "azure_vm", err);
}

static const gov_sub_collection vms = {
    .spec = &compute_vm_spec,
    .path_fmt = "/subscriptions/%s/providers/Microsoft.Compute/virtualMachines?api-version=" VM_API,
    .after = vm_group,
};

/* ---- rm-compute-virtual-machine-disk-relationships --------------------- */

/* Blob host name -> storage-account key, built once from the stored
 * accounts (a linear table: accounts are few). */
typedef struct blob_hosts {
    gov_strings hosts;
    gov_strings keys;
} blob_hosts;

/* Host name of an https URL, lower-cased, into out; -1 when none. */
static int url_host(const char *url, char *out, size_t size)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return -1;
    p += 3;
    size_t n = strcspn(p, "/:?#");
    if (n == 0 || n >= size)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
    out[n] = 0;
    return 0;
}

static int collect_blob_host(void *arg, const cJSON *account, err_info *err)
{
    blob_hosts *b = arg;
    const char *key = json_get_string(account, "_key");
    const cJSON *raw = compute_raw_data(account);
    const char *blob = json_path_string(raw, "primaryEndpoints.blob");
    if (!blob)
        blob = json_path_string(raw, "properties.primaryEndpoints.blob");
    char host[512];
    if (!key || url_host(blob, host, sizeof host) != 0) {
        log_kv(LOG_WARN,
               "Could not find blob endpoint for storage account; its unmanaged disks are not related",
               "storageAccountId", key ? key : "?", NULL);
        return 0;
    }
    if (gov_strings_add(&b->hosts, host, err) != 0 || gov_strings_add(&b->keys, key, err) != 0)
        return -1;
    return 0;
}

static const char *blob_account(const blob_hosts *b, const char *uri)
{
    char host[512];
    if (url_host(uri, host, sizeof host) != 0)
        return NULL;
    for (size_t i = 0; i < b->hosts.count; i++)
        if (strcmp(b->hosts.items[i], host) == 0)
            return b->keys.items[i];
    return NULL;
}

typedef struct disk_rel_state {
    step_ctx *ctx;
    blob_hosts accounts;
} disk_rel_state;

static int add_rel(step_ctx *ctx, cJSON *rel, const char *what, err_info *err)
{
    if (!rel)
        return err_set(err, ERR_NOMEM, "out of memory building a relationship");
    return gov_add(ctx, rel, false, what, err);
}

/* One OS or data disk of a VM: managed (by id) or unmanaged (by VHD host). */
static int relate_disk(disk_rel_state *st, const char *vm_key, const cJSON *disk,
                       const char *disk_type, err_info *err)
{
    const char *managed = json_path_string(disk, "managedDisk.id");
    const char *vhd = json_path_string(disk, "vhd.uri");
    if (managed) {
        gov_found found;
        if (!gov_find(st->ctx, managed, &found) || strcmp(found.type, "azure_managed_disk") != 0) {
            log_kv(LOG_WARN, "Could not find managed disk defined by virtual machine.",
                   "virtualMachineId", vm_key, "managedDiskId", managed, "diskType", disk_type,
                   NULL);
            return 0;
        }
        cJSON *rel = relationship_direct("USES", vm_key, "azure_vm", found.key,
                                         "azure_managed_disk", "azure_vm_uses_managed_disk", NULL);
        if (rel && !cJSON_AddBoolToObject(rel, disk_type, true)) {
            cJSON_Delete(rel);
            rel = NULL;
        }
        return add_rel(st->ctx, rel, found.key, err);
    }
    if (vhd) {
        const char *account = blob_account(&st->accounts, vhd);
        if (!account) {
            log_kv(LOG_WARN,
                   "Could not find storage account for unmanaged disk defined by virtual machine.",
                   "vhdUri", vhd, "diskType", disk_type, NULL);
            return 0;
        }
        cJSON *rel = relationship_direct("USES", vm_key, "azure_vm", account,
                                         "azure_storage_account", "azure_vm_uses_storage_account",
                                         NULL);
        if (rel && (!cJSON_AddStringToObject(rel, "vhdUri", vhd) ||
                    !cJSON_AddStringToObject(rel, "diskType", disk_type))) {
            cJSON_Delete(rel);
            rel = NULL;
        }
        return add_rel(st->ctx, rel, account, err);
    }
    log_kv(LOG_WARN, "No storage profile found for this VM disk.", "id", vm_key, "diskType",
           disk_type, NULL);
    return 0;
}

static int vm_disks(void *arg, const cJSON *vm, err_info *err)
{
    disk_rel_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *key = json_get_string(vm, "_key");
    const cJSON *profile = json_get(compute_raw_data(vm), "storageProfile");
    if (!key || !cJSON_IsObject(profile))
        return 0;
    if (relate_disk(st, key, json_get(profile, "osDisk"), "osDisk", err) != 0)
        return -1;
    const cJSON *d;
    cJSON_ArrayForEach(d, json_get(profile, "dataDisks"))
    {
        if (relate_disk(st, key, d, "dataDisk", err) != 0)
            return -1;
    }
    return 0;
}

static int run_disk_relationships(step_ctx *ctx, err_info *err)
{
    disk_rel_state st = {.ctx = ctx};
    int rc = step_iterate_entities(ctx, "azure_storage_account", collect_blob_host, &st.accounts,
                                   err);
    if (rc == 0)
        rc = step_iterate_entities(ctx, "azure_vm", vm_disks, &st, err);
    gov_strings_free(&st.accounts.hosts);
    gov_strings_free(&st.accounts.keys);
    return rc;
}

/* ---- rm-compute-virtual-machine-extensions ----------------------------- */

static const char *const extension_renames[] = {"type", "virtualMachineExtensionType", NULL};

static const prop_map extension_props[] = {
    {"name", "name", MAP_STRING},
    {NULL},
};

const entity_spec compute_extension_spec = {
    .type = "azure_vm_extension",
    .classes = {"Application"},
    .key_path = "name",
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = extension_props,
    .hoist_renames = extension_renames,
};

/* "vm-extension:{publisher or unknown-publisher}:{name}" or NULL. */
char *compute_extension_key(const cJSON *item)
{
    const char *publisher = json_path_string(item, "properties.publisher");
    const char *name = json_get_string(item, "name");
    if (!name)
        return NULL;
    if (!publisher || !*publisher)
        publisher = "unknown-publisher";
    size_t n = strlen(publisher) + strlen(name) + sizeof "vm-extension::";
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "vm-extension:%s:%s", publisher, name);
    return key;
}

typedef struct ext_state {
    step_ctx *ctx;
    gov_strings vm_keys;   /* index = list index */
    gov_strings paths;
} ext_state;

/* The shared part of an extension: the item without id, location and
 * provisioningState. */
static cJSON *extension_shared(const cJSON *item)
{
    cJSON *copy = cJSON_Duplicate(item, 1);
    if (!copy)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "id");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "location");
    cJSON *props = cJSON_GetObjectItemCaseSensitive(copy, "properties");
    if (cJSON_IsObject(props))
        cJSON_DeleteItemFromObjectCaseSensitive(props, "provisioningState");
    return copy;
}

/* Finds or creates the extension entity; writes its stored key. */
static int extension_entity(ext_state *st, const cJSON *item, const char *key, gov_found *found,
                            err_info *err)
{
    if (gov_find(st->ctx, key, found))
        return 0;
    cJSON *shared = extension_shared(item);
    if (!shared)
        return err_set(err, ERR_NOMEM, "out of memory building a VM extension");
    map_ctx mctx = {.integration = azure_job_of(st->ctx)};
    cJSON *entity = NULL;
    err_info e = {0};
    int rc = entity_map_build(&compute_extension_spec, shared, &mctx, &entity, &e);
    cJSON_Delete(shared);
    if (rc != 0) {
        if (e.kind == ERR_NOMEM) {
            *err = e;
            return -1;
        }
        log_kv(LOG_WARN, "skipped one VM extension", "key", key, "error", e.message, NULL);
        return 1;
    }
    cJSON *k = cJSON_CreateString(key);
    if (!k || !cJSON_ReplaceItemInObjectCaseSensitive(entity, "_key", k)) {
        cJSON_Delete(k);
        cJSON_Delete(entity);
        return err_set(err, ERR_NOMEM, "out of memory building a VM extension");
    }
    if (gov_add(st->ctx, entity, true, key, err) != 0)
        return -1;
    return gov_find(st->ctx, key, found) ? 0 : 1;
}

static int extension_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    ext_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    char *key = compute_extension_key(item);
    if (!key) {
        log_kv(LOG_WARN, "skipped a VM extension without a name", "vm", st->vm_keys.items[index],
               NULL);
        return 0;
    }
    gov_found ext;
    int rc = extension_entity(st, item, key, &ext, err);
    free(key);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    cJSON *rel = relationship_direct("USES", st->vm_keys.items[index], "azure_vm", ext.key,
                                     "azure_vm_extension", "azure_vm_uses_extension", NULL);
    const char *fields[][2] = {{"id", "id"},
                               {"location", "location"},
                               {"provisioningState", "properties.provisioningState"}};
    for (size_t i = 0; rel && i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = json_path_string(item, fields[i][1]);
        if (v && !cJSON_AddStringToObject(rel, fields[i][0], v)) {
            cJSON_Delete(rel);
            rel = NULL;
        }
    }
    return add_rel(st->ctx, rel, ext.key, err);
}

static int collect_vm(void *arg, const cJSON *vm, err_info *err)
{
    ext_state *st = arg;
    const char *key = json_get_string(vm, "_key");
    const char *id = json_get_string(vm, "id");
    const char *name = json_get_string(vm, "name");
    char sub[128], group[512], path[2048];
    if (!id)
        id = key;
    if (!key || !name || arm_subscription_of(id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(id, group, sizeof group) != 0) {
        log_kv(LOG_WARN, "virtual machine id not understood; its extensions are skipped", "id",
               key ? key : "?", NULL);
        return 0;
    }
    int n = snprintf(path, sizeof path,
                     "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/"
                     "virtualMachines/%s/extensions?api-version=" VM_API,
                     sub, group, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return 0;
    if (gov_strings_add(&st->vm_keys, key, err) != 0 || gov_strings_add(&st->paths, path, err) != 0)
        return -1;
    return 0;
}

static int run_extensions(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    ext_state st = {.ctx = ctx};
    int rc = step_iterate_entities(ctx, "azure_vm", collect_vm, &st, err);
    if (rc == 0)
        rc = gov_list_parallel(ctx, st.paths.items, st.paths.count, extension_item, &st, err);
    gov_strings_free(&st.vm_keys);
    gov_strings_free(&st.paths);
    return rc;
}

/* ---- the step table ---------------------------------------------------- */

static const step_def step_images = {
    .id = "rm-compute-virtual-machine-images",
    .name = "Virtual Machine Disk Images",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Image", "azure_image", {"Image"}}},
    .relationships = {ARM_RG_HAS_DECL("image")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &images,
};

static const step_def step_disks = {
    .id = "rm-compute-virutal-machine-disks",
    .name = "Virtual Machine Disks",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Azure Managed Disk", "azure_managed_disk", {"DataStore", "Disk"}}},
    .relationships = {ARM_RG_HAS_DECL("managed_disk")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &disks,
};

static const step_def step_vms = {
    .id = "rm-compute-virtual-machines",
    .name = "Virtual Machines",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Virtual Machine", "azure_vm", {"Host"}}},
    .relationships = {ARM_RG_HAS_DECL("vm")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &vms,
};

static const step_def step_disk_relationships = {
    .id = "rm-compute-virtual-machine-disk-relationships",
    .name = "Virtual Machine Disk Relationships",
    .depends_on = {"rm-compute-virtual-machines", "rm-compute-virutal-machine-disks",
                   "rm-storage-resources"},
    .relationships = {{"azure_vm_uses_storage_account", "USES", "azure_vm",
                       "azure_storage_account"},
                      {"azure_vm_uses_managed_disk", "USES", "azure_vm", "azure_managed_disk"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_disk_relationships,
};

static const step_def step_extensions = {
    .id = "rm-compute-virtual-machine-extensions",
    .name = "Virtual Machine Extensions",
    .depends_on = {"ad-account", "rm-compute-virtual-machines"},
    .entities = {{"[RM] Virtual Machine Extension", "azure_vm_extension", {"Application"}}},
    .relationships = {{"azure_vm_uses_extension", "USES", "azure_vm", "azure_vm_extension"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_extensions,
};

/* Reference order (compute/index.ts). */
const step_def *const steps_compute[] = {&step_images,   &step_disks,      &step_vms,
                                         &step_disk_relationships, &step_extensions, NULL};

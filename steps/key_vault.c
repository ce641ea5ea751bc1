/*
 * key_vault: key vaults and their diagnostic settings (docs/spec/azure-sources
 * part-b §3; reference graph-azure src/steps/resource-manager/key-vault/).
 *
 * Two phases, both within the client's bounds: the generic resource list
 * filtered on Microsoft.KeyVault/vaults, per ingested subscription in
 * parallel (only the GET paths of the vaults are kept, not the items), then
 * every vault read in parallel (GET, not paged) and stored as its answer
 * arrives, with account HAS vault and resource group HAS vault.  Finally the
 * diagnostic settings of the vaults stored (log category AuditEvent).  The
 * client sends the per-vault reads round-robin over subscriptions
 * (azure/azure_interleave.h).
 *
 * The vault is NOT hoisted (the reference's SDK model keeps `properties`
 * nested; rm-storage-resources reads _rawData[0].rawData.properties.vaultUri).
 * As in the reference, a vault that cannot be read fails the step; unlike
 * the reference, the other vaults are stored first.
 *
 * As in the reference, the vault has no `function` although the Service
 * schema lists it as required (the store only warns about it).
 */
#include "common/json.h"
#include "common/log.h"
#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/diagnostic_settings.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VAULT_LIST_API "2015-11-01"
#define VAULT_API "2018-02-14"
#define VAULT_TYPE "azure_keyvault_service"

/* endpoints = [properties.vaultUri]; absent when empty or absent. */
static int vault_endpoints(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                           cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    if (!cJSON_IsString(value) || !*value->valuestring)
        return 0;
    const char *uri = value->valuestring;
    if (!(*out = cJSON_CreateStringArray(&uri, 1)))
        return err_set(err, ERR_NOMEM, "out of memory mapping a key vault");
    return 0;
}

static const prop_map vault_props[] = {
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"region", "location", MAP_FN, .fn = arm_map_region},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"endpoints", "properties.vaultUri", MAP_FN, .fn = vault_endpoints},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "infrastructure"},
    {NULL},
};

static const entity_spec vault_spec = {
    .type = VAULT_TYPE,
    .classes = {"Service"},
    .flags = ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .tag_properties = arm_tag_properties,
    .props = vault_props,
};

static const char *const vault_log_categories[] = {"AuditEvent", NULL};

typedef struct vault_state {
    step_ctx *ctx;
    gov_strings gets;   /* GET path of each vault found by the lists */
    gov_strings ids;    /* its id (messages), same index */
    gov_strings stored; /* keys of the vaults stored */
    const char *account_key;
} vault_state;

/* A generic resource of the filtered list -> the GET path of the vault. */
static int vault_listed(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    vault_state *st = arg;
    const char *id = json_get_string(item, "id");
    const char *name = json_get_string(item, "name");
    char sub[128], group[512];
    if (!id || !name || !*name || arm_subscription_of(id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(id, group, sizeof group) != 0) {
        log_kv(LOG_WARN, "key vault id not understood; skipped", "id", id ? id : "?", NULL);
        return 0;
    }
    size_t n = strlen(sub) + strlen(group) + strlen(name) + 128;
    char *path = malloc(n);
    if (!path)
        return err_set(err, ERR_NOMEM, "out of memory listing key vaults");
    snprintf(path, n,
             "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s"
             "?api-version=" VAULT_API,
             sub, group, name);
    int rc = gov_strings_add(&st->gets, path, err);
    if (rc == 0)
        rc = gov_strings_add(&st->ids, id, err);
    free(path);
    return rc;
}

static int vault_read(void *arg, size_t index, const cJSON *vault, err_info *err)
{
    (void)index;
    vault_state *st = arg;
    bool added;
    if (gov_map_add(st->ctx, &vault_spec, vault, &added, err) != 0)
        return -1;
    gov_found found;
    if (!added || !gov_find(st->ctx, json_get_string(vault, "id"), &found))
        return 0;
    if (gov_strings_add(&st->stored, found.key, err) != 0 ||
        arm_relate_resource_group(st->ctx, found.key, VAULT_TYPE, err) != 0)
        return -1;
    return gov_relate(st->ctx, "HAS", st->account_key, "azure_account", found.key, VAULT_TYPE,
                      NULL, err);
}

static int run_vaults(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    const cJSON *account = step_data_get(ctx, "azure_account");
    azure_job *job = azure_job_of(ctx);
    vault_state st = {.ctx = ctx, .account_key = json_get_string(account, "_key")};
    if (!st.account_key)
        st.account_key = azure_job_instance(job)->instance_id;
    gov_strings lists = {0};
    err_info *errs = NULL;
    int rc = -1;
    char path[256];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        snprintf(path, sizeof path,
                 "/subscriptions/%s/resources?%%24filter=resourceType%%20eq%%20%%27"
                 "Microsoft.KeyVault%%2Fvaults%%27&api-version=" VAULT_LIST_API,
                 azure_job_subscription(job, i));
        if (gov_strings_add(&lists, path, err) != 0)
            goto done;
    }
    if (gov_list_parallel(ctx, lists.items, lists.count, vault_listed, &st, err) != 0)
        goto done;
    if (st.gets.count) {
        if (!(errs = calloc(st.gets.count, sizeof *errs))) {
            err_set(err, ERR_NOMEM, "out of memory reading key vaults");
            goto done;
        }
        err_info ge = {0};
        int grc = azure_get_many(azure_job_client(job), AZURE_API_ARM,
                                 (const char *const *)st.gets.items, st.gets.count, vault_read,
                                 &st, errs, &ge);
        if (grc != 0) {
            for (size_t i = 0; i < st.gets.count; i++)
                if (errs[i].kind != ERR_NONE)
                    log_kv(LOG_WARN, "could not read a key vault", "id", st.ids.items[i],
                           "error", errs[i].message, NULL);
            *err = ge;
            goto done;
        }
    }
    rc = diag_settings_for_resources(ctx, (const char *const *)st.stored.items, st.stored.count,
                                     vault_log_categories, err);
done:
    free(errs);
    gov_strings_free(&st.stored);
    gov_strings_free(&lists);
    gov_strings_free(&st.gets);
    gov_strings_free(&st.ids);
    return rc;
}

static const step_def step_vaults = {
    .id = "rm-keyvault-vaults",
    .name = "Key Vaults",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Key Vault", VAULT_TYPE, {"Service"}}, DIAG_ENTITY_DECL},
    .relationships = {{"azure_account_has_keyvault_service", "HAS", "azure_account", VAULT_TYPE},
                      ARM_RG_HAS_DECL("keyvault_service"),
                      DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_vaults,
};

const step_def *const steps_key_vault[] = {&step_vaults, NULL};

/*
 * container_instance: container groups, their containers and volumes
 * (azure-sources README part C; reference graph-azure
 * src/steps/resource-manager/container-instance/).
 *
 * Groups are listed per stored resource group
 * (containerGroups.listByResourceGroup, all groups in parallel).  Containers
 * and volumes come inside each group (at most 60 and 20 per group, Azure's
 * quotas) and have no id: as in the reference their _key / id is the
 * group's id + "/containers/{name}" or "/volumes/{name}", and their
 * _rawData is the item without it.  Relationships: group HAS container,
 * group HAS volume, container USES volume (per volumeMount, with the mount's
 * properties), volume USES storage file share (a volume naming an Azure
 * file share that rm-storage-file-shares ingested: account and share name
 * matched in the share's id, as the reference does).  The shares are read
 * from the store once per run, not once per volume.
 */
#include "common/json.h"
#include "common/log.h"
#include "engine/relationship.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/arm_list.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"
#include "steps/platform_tables.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTAINER_API "2019-12-01"

static const prop_map group_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec container_group_spec = {
    .type = "azure_container_group",
    .classes = {"Group"},
    .flags = ARML_ENTITY_FLAGS,
    .props = group_props,
};

/* Containers and volumes: `id` and `_key` are written by the step (the
 * composed id); the key path here only has to exist. */
static const prop_map container_props[] = {
    {"name", "name", MAP_STRING},
    {"image", "properties.image", MAP_STRING},
    {NULL},
};

const entity_spec container_spec = {
    .type = "azure_container",
    .classes = {"Container"},
    .key_path = "name",
    .flags = ARML_ENTITY_FLAGS,
    .props = container_props,
};

static const prop_map volume_props[] = {
    {"name", "name", MAP_STRING},
    {"classification", NULL, MAP_FN, .fn = arml_map_null},
    {"encrypted", NULL, MAP_FN, .fn = arml_map_null},
    {NULL},
};

const entity_spec container_volume_spec = {
    .type = "azure_container_volume",
    .classes = {"Disk"},
    .key_path = "name",
    .flags = ARML_ENTITY_FLAGS,
    .props = volume_props,
};

/* A stored file share: the account and share names its id carries. */
typedef struct file_share {
    char *account;
    char *share;
    char *key;
} file_share;

typedef struct group_state {
    regex_t share_re;
    file_share *shares;
    size_t n_shares, cap_shares;
} group_state;

static int collect_share(void *arg, const cJSON *entity, err_info *err)
{
    group_state *st = arg;
    const char *id = json_get_string(entity, "id");
    const char *key = json_get_string(entity, "_key");
    regmatch_t m[3];
    if (!id || !key || regexec(&st->share_re, id, 3, m, 0) != 0)
        return 0;
    if (st->n_shares == st->cap_shares) {
        size_t cap = st->cap_shares ? st->cap_shares * 2 : 16;
        file_share *s = realloc(st->shares, cap * sizeof *s);
        if (!s)
            return err_set(err, ERR_NOMEM, "out of memory collecting file shares");
        st->shares = s;
        st->cap_shares = cap;
    }
    file_share *f = &st->shares[st->n_shares];
    f->account = strndup(id + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
    f->share = strndup(id + m[2].rm_so, (size_t)(m[2].rm_eo - m[2].rm_so));
    f->key = strdup(key);
    if (!f->account || !f->share || !f->key) {
        free(f->account);
        free(f->share);
        free(f->key);
        return err_set(err, ERR_NOMEM, "out of memory collecting file shares");
    }
    st->n_shares++;
    return 0;
}

static void group_state_free(group_state *st)
{
    for (size_t i = 0; i < st->n_shares; i++) {
        free(st->shares[i].account);
        free(st->shares[i].share);
        free(st->shares[i].key);
    }
    free(st->shares);
    regfree(&st->share_re);
}

/* Maps a container / volume, sets its composed _key and id (ours, not
 * Azure's: _rawData stays the item as returned), stores it.
 * *key receives the stored key (empty when skipped). */
static int store_member(step_ctx *ctx, const entity_spec *spec, const cJSON *item,
                        const char *composed, char *key, size_t key_size, err_info *err)
{
    key[0] = '\0';
    if (!json_get_string(item, "name")) {
        log_kv(LOG_WARN, "skipped a container group member without name", "type", spec->type,
               "id", composed, NULL);
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
        log_kv(LOG_WARN, "skipped one object", "type", spec->type, "id", composed, "error",
               e.message, NULL);
        return 0;
    }
    if (!json_set(entity, "_key", cJSON_CreateString(composed)) ||
        !json_set(entity, "id", cJSON_CreateString(composed))) {
        cJSON_Delete(entity);
        return err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
    }
    if (gov_add(ctx, entity, true, composed, err) != 0)
        return -1;
    gov_found found;
    if (gov_find(ctx, composed, &found) && strcmp(found.type, spec->type) == 0)
        snprintf(key, key_size, "%s", found.key);
    return 0;
}

static int volume_share(step_ctx *ctx, group_state *st, const cJSON *volume, const char *key,
                        err_info *err)
{
    const char *share = json_path_string(volume, "azureFile.shareName");
    const char *account = json_path_string(volume, "azureFile.storageAccountName");
    if (!share || !*share || !account || !*account)
        return 0;
    for (size_t i = 0; i < st->n_shares; i++) {
        if (strcmp(st->shares[i].account, account) != 0 || strcmp(st->shares[i].share, share) != 0)
            continue;
        if (gov_relate(ctx, "USES", key, container_volume_spec.type, st->shares[i].key,
                       "azure_storage_file_share", NULL, err) != 0)
            return -1;
    }
    return 0;
}

/* container USES volume, with the mount's own properties. */
static int mount_relationship(step_ctx *ctx, const char *container_key, const cJSON *mount,
                              const char *group_id, err_info *err)
{
    const char *name = json_get_string(mount, "name");
    char volume_id[2048];
    gov_found volume;
    if (!name || snprintf(volume_id, sizeof volume_id, "%s/volumes/%s", group_id, name) >=
                     (int)sizeof volume_id ||
        !gov_find(ctx, volume_id, &volume))
        return 0;
    cJSON *rel = relationship_direct("USES", container_key, container_spec.type, volume.key,
                                     volume.type, NULL, NULL);
    if (!rel)
        return err_set(err, ERR_NOMEM, "out of memory building a volume mount");
    const cJSON *p;
    cJSON_ArrayForEach(p, mount)
    {
        if (cJSON_IsNull(p) || cJSON_IsObject(p) || cJSON_IsArray(p))
            continue;
        cJSON *d = cJSON_Duplicate(p, 0);
        if (!d || !json_set(rel, p->string, d)) {
            cJSON_Delete(rel);
            return err_set(err, ERR_NOMEM, "out of memory building a volume mount");
        }
    }
    return gov_add(ctx, rel, false, volume.key, err);
}

/* After the group is stored and related to its resource group: its volumes
 * and containers. */
static int group_item(step_ctx *ctx, void *arg, const char *owner, const cJSON *item,
                      const char *group_key, err_info *err)
{
    (void)owner;
    group_state *st = arg;
    char key[2048], composed[2048];
    const char *group_id = json_get_string(item, "id");
    const cJSON *v;
    cJSON_ArrayForEach(v, json_path(item, "properties.volumes"))
    {
        snprintf(composed, sizeof composed, "%s/volumes/%s", group_id,
                 json_get_string(v, "name") ? json_get_string(v, "name") : "");
        if (store_member(ctx, &container_volume_spec, v, composed, key, sizeof key, err) != 0)
            return -1;
        if (!key[0])
            continue;
        if (gov_relate(ctx, "HAS", group_key, container_group_spec.type, key,
                       container_volume_spec.type, NULL, err) != 0 ||
            volume_share(ctx, st, v, key, err) != 0)
            return -1;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, json_path(item, "properties.containers"))
    {
        snprintf(composed, sizeof composed, "%s/containers/%s", group_id,
                 json_get_string(c, "name") ? json_get_string(c, "name") : "");
        if (store_member(ctx, &container_spec, c, composed, key, sizeof key, err) != 0)
            return -1;
        if (!key[0])
            continue;
        if (gov_relate(ctx, "HAS", group_key, container_group_spec.type, key, container_spec.type,
                       NULL, err) != 0)
            return -1;
        const cJSON *mount;
        cJSON_ArrayForEach(mount, json_path(c, "properties.volumeMounts"))
        {
            if (mount_relationship(ctx, key, mount, group_id, err) != 0)
                return -1;
        }
    }
    return 0;
}

static const arml_collection groups = {
    .what = "container groups",
    .scope = ARML_PER_RESOURCE_GROUP,
    .suffix = "/providers/Microsoft.ContainerInstance/containerGroups?api-version=" CONTAINER_API,
    .spec = &container_group_spec,
    .relate_resource_group = true,
    .on_item = group_item,
};

static int run_groups(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    group_state st = {0};
    /* the reference's file-share id pattern (not anchored) */
    if (regcomp(&st.share_re,
                "/subscriptions/[^/]+/resource[G|g]roups/[^/]+/providers/[M|m]icrosoft.[S|s]"
                "torage/storage[A|a]ccounts/([^/]+)/fileServices/default/shares/([^/]+)",
                REG_EXTENDED) != 0)
        return err_set(err, ERR_INTERNAL, "file share pattern does not compile");
    int rc = step_iterate_entities(ctx, "azure_storage_file_share", collect_share, &st, err);
    if (rc == 0)
        rc = arml_list(ctx, &groups, &st, err);
    group_state_free(&st);
    return rc;
}

static const step_def step_groups = {
    .id = "rm-container-groups",
    .name = "Container Groups",
    /* The reference depends on rm-storage-resources only, so its volume
     * USES file share relationship exists only when the file shares happen
     * to be stored first; depending on rm-storage-file-shares makes it
     * deterministic (it already depends on rm-storage-resources). */
    .depends_on = {"ad-account", "rm-resources-resource-groups", "rm-storage-resources",
                   "rm-storage-file-shares"},
    .entities = {{"[RM] Container Group", "azure_container_group", {"Group"}},
                 {"[RM] Container", "azure_container", {"Container"}},
                 {"[RM] Container Volume", "azure_container_volume", {"Disk"}}},
    .relationships = {ARM_RG_HAS_DECL("container_group"),
                      {"azure_container_group_has_container", "HAS", "azure_container_group",
                       "azure_container"},
                      {"azure_container_group_has_volume", "HAS", "azure_container_group",
                       "azure_container_volume"},
                      {"azure_container_uses_volume", "USES", "azure_container",
                       "azure_container_volume"},
                      {"azure_container_volume_uses_storage_file_share", "USES",
                       "azure_container_volume", "azure_storage_file_share"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_groups,
};

const step_def *const steps_container_instance[] = {&step_groups, NULL};

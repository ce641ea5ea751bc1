/*
 * authorization: role assignments, their principal and scope relationships,
 * role definitions and classic administrators (docs/spec/azure-sources
 * part-a §2.4; reference graph-azure src/steps/resource-manager/authorization/).
 *
 * Role assignments can number in the tens of thousands: they are listed
 * page by page (every nextLink followed, unlike the reference) and each one
 * goes to the graph store as it arrives.  The relationship steps make no
 * calls: they walk the stored assignments and resolve principal and scope
 * ids with the store's case-insensitive key index, so a scope written
 * `/resourcegroups/` still finds the `/resourceGroups/` entity.
 *
 * Principals: when the directory was ingested (or another step produced an
 * entity with the principal's id) the relationship is direct; otherwise a
 * mapped relationship carries the principal's id and type to JupiterOne's
 * mapper, which is what makes role assignments useful without
 * ingestActiveDirectory.
 *
 * Role definitions: the distinct roleDefinitionIds of all assignments are
 * collected first (a few hundred even for large tenants), those not yet in
 * the store are fetched in parallel within the client's bounds, and a second
 * walk over the assignments adds the USES relationships.  The answered id
 * may differ from the requested one (subscription-scoped vs. tenant-scoped
 * built-in roles), so both are remembered.  As in the reference, a role
 * definition that cannot be read only costs its relationships.
 */
#include "steps/authorization.h"

#include "common/json.h"
#include "common/log.h"
#include "engine/entity_map.h"
#include "engine/relationship.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RA_API "2018-09-01-preview"
#define RD_API "2018-01-01-preview"
#define CA_API "2015-06-01"

/* The reference reads these through its SDK's models (role assignments
 * 2018-09-01-preview, role definitions 2018-01-01-preview), which keep only
 * the fields they know: whatever else Azure returns (createdOn/updatedOn/
 * createdBy/updatedBy, and in newer answers condition, conditionVersion,
 * description, delegatedManagedIdentityResourceId, ...) appears neither in
 * properties nor in _rawData. */
static const char *const model_top_fields[] = {"id", "name", "type", "properties", NULL};
static const char *const role_assignment_fields[] = {"scope", "roleDefinitionId", "principalId",
                                                     "principalType", "canDelegate", NULL};
static const char *const role_definition_fields[] = {"roleName", "description", "type",
                                                     "permissions", "assignableScopes", NULL};

static bool model_knows(const char *const *fields, const char *name)
{
    for (size_t i = 0; name && fields[i]; i++)
        if (strcmp(fields[i], name) == 0)
            return true;
    return false;
}

/* Removes the members of obj that are not in fields. */
static void model_keep(cJSON *obj, const char *const *fields)
{
    cJSON *m = obj ? obj->child : NULL;
    while (m) {
        cJSON *next = m->next;
        if (!model_knows(fields, m->string))
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, m));
        m = next;
    }
}

/* A copy of an ARM item reduced to the SDK model's fields. */
static cJSON *model_copy(const cJSON *item, const char *const *property_fields)
{
    cJSON *copy = cJSON_Duplicate(item, 1);
    model_keep(copy, model_top_fields);
    cJSON *props = copy ? cJSON_GetObjectItemCaseSensitive(copy, "properties") : NULL;
    if (cJSON_IsObject(props))
        model_keep(props, property_fields);
    return copy;
}

static cJSON *role_assignment_model(const cJSON *item)
{
    return model_copy(item, role_assignment_fields);
}

/* ---- rm-authorization-role-assignments --------------------------------- */

static const prop_map role_assignment_props[] = {
    {"name", "name", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"scope", "properties.scope", MAP_STRING},
    {"roleDefinitionId", "properties.roleDefinitionId", MAP_STRING},
    {"principalId", "properties.principalId", MAP_STRING},
    {"principalType", "properties.principalType", MAP_STRING},
    {"canDelegate", "properties.canDelegate", MAP_BOOL},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {NULL},
};

const entity_spec authz_role_assignment_spec = {
    .type = "azure_role_assignment",
    .classes = {"AccessPolicy"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = role_assignment_props,
};

static const gov_sub_collection role_assignments = {
    .spec = &authz_role_assignment_spec,
    .prepare = role_assignment_model,
    .path_fmt = "/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments?api-version=" RA_API,
};

/* ---- rm-authorization-role-assignment-principal-relationships ---------- */

typedef struct principal_kind {
    const char *principal_type;   /* Azure principalType */
    const char *entity_type;      /* JupiterOne target _type */
    const char *mapped_type;      /* _type of the mapped relationship */
} principal_kind;

static const principal_kind principal_kinds[] = {
    {"Application", "azure_application", "mapping_source_assigned_azure_application"},
    {"DirectoryObjectOrGroup", "azure_directory", "mapping_source_assigned_azure_directory"},
    {"DirectoryRoleTemplate", "azure_directory_role_template",
     "mapping_source_assigned_azure_directory_role_template"},
    {"Everyone", "azure_everyone", "mapping_source_assigned_azure_everyone"},
    {"ForeignGroup", "azure_foreign_group", "mapping_source_assigned_azure_foreign_group"},
    {"Group", "azure_user_group", "mapping_source_assigned_azure_user_group"},
    {"MSI", "azure_msi", "mapping_source_assigned_azure_msi"},
    {"ServicePrincipal", "azure_service_principal", "mapping_source_assigned_azure_service_principal"},
    {"Unknown", "azure_unknown", "mapping_source_assigned_azure_unknown"},
    {"User", "azure_user", "mapping_source_assigned_azure_user"},
    {NULL, "azure_unknown_principal_type", "mapping_source_assigned_azure_unknown_principal_type"},
};

static const principal_kind *principal_kind_of(const char *principal_type)
{
    size_t n = sizeof principal_kinds / sizeof principal_kinds[0];
    for (size_t i = 0; i + 1 < n; i++)
        if (principal_type && strcmp(principal_kinds[i].principal_type, principal_type) == 0)
            return &principal_kinds[i];
    return &principal_kinds[n - 1];
}

const char *authz_principal_entity_type(const char *principal_type)
{
    return principal_kind_of(principal_type)->entity_type;
}

cJSON *authz_principal_mapped_relationship(const char *assignment_key, const char *principal_id,
                                           const char *principal_type)
{
    const principal_kind *k = principal_kind_of(principal_type);
    cJSON *target = cJSON_CreateObject();
    if (!target || !cJSON_AddStringToObject(target, "_type", k->entity_type) ||
        !cJSON_AddStringToObject(target, "_key", principal_id)) {
        cJSON_Delete(target);
        return NULL;
    }
    return relationship_mapped("ASSIGNED", k->mapped_type, assignment_key, STEP_FORWARD, target,
                               NULL, -1, NULL);
}

static int principal_one(void *arg, const cJSON *ra, err_info *err)
{
    step_ctx *ctx = arg;
    if (step_should_stop(ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *key = json_get_string(ra, "_key");
    const char *pid = json_get_string(ra, "principalId");
    if (!key || !pid || !*pid)
        return 0;
    gov_found found;
    if (gov_find(ctx, pid, &found))
        return gov_relate(ctx, "ASSIGNED", key, "azure_role_assignment", found.key, found.type,
                          NULL, err);
    cJSON *rel = authz_principal_mapped_relationship(key, pid, json_get_string(ra, "principalType"));
    if (!rel)
        return err_set(err, ERR_NOMEM, "out of memory building a principal relationship");
    return gov_add(ctx, rel, false, key, err);
}

static int run_principal_relationships(step_ctx *ctx, err_info *err)
{
    return step_iterate_entities(ctx, "azure_role_assignment", principal_one, ctx, err);
}

/* ---- rm-authorization-role-assignment-scope-relationships -------------- */

typedef struct scope_state {
    step_ctx *ctx;
    int64_t missing;
} scope_state;

static int scope_one(void *arg, const cJSON *ra, err_info *err)
{
    scope_state *st = arg;
    step_ctx *ctx = st->ctx;
    if (step_should_stop(ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *key = json_get_string(ra, "_key");
    const char *scope = json_get_string(ra, "scope");
    if (!key || !scope)
        return 0;
    gov_found found;
    if (!gov_find(ctx, scope, &found)) {
        st->missing++;
        log_kv(LOG_DEBUG, "role assignment scope not ingested", "scope", scope, NULL);
        return 0;
    }
    return gov_relate(ctx, "ALLOWS", key, "azure_role_assignment", found.key, found.type, NULL,
                      err);
}

static int run_scope_relationships(step_ctx *ctx, err_info *err)
{
    scope_state st = {.ctx = ctx};
    if (step_iterate_entities(ctx, "azure_role_assignment", scope_one, &st, err) != 0)
        return -1;
    if (st.missing > 0)
        log_msg(LOG_INFO,
                "[SKIP] %lld role assignment scope(s) do not match resources currently ingested",
                (long long)st.missing);
    return 0;
}

/* ---- rm-authorization-role-definitions --------------------------------- */

static int concat_permissions(const cJSON *permissions, const char *field, cJSON **out,
                              err_info *err)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return err_set(err, ERR_NOMEM, "out of memory building a role definition");
    const cJSON *p;
    cJSON_ArrayForEach(p, permissions)
    {
        const cJSON *v;
        cJSON_ArrayForEach(v, json_get(p, field))
        {
            cJSON *copy = cJSON_Duplicate(v, 0);
            if (!copy) {
                cJSON_Delete(arr);
                return err_set(err, ERR_NOMEM, "out of memory building a role definition");
            }
            cJSON_AddItemToArray(arr, copy);
        }
    }
    *out = arr;
    return 0;
}

#define PERMISSION_FN(fn_name, field)                                                            \
    static int fn_name(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out, \
                       err_info *err)                                                            \
    {                                                                                            \
        (void)item;                                                                              \
        (void)mctx;                                                                              \
        return concat_permissions(value, field, out, err);                                       \
    }
PERMISSION_FN(rd_actions, "actions")
PERMISSION_FN(rd_not_actions, "notActions")
PERMISSION_FN(rd_data_actions, "dataActions")
PERMISSION_FN(rd_not_data_actions, "notDataActions")

static const prop_map role_definition_props[] = {
    {"displayName", "properties.roleName", MAP_STRING},
    {"description", "properties.description", MAP_STRING},
    {"actions", "properties.permissions", MAP_FN, .fn = rd_actions},
    {"notActions", "properties.permissions", MAP_FN, .fn = rd_not_actions},
    {"dataActions", "properties.permissions", MAP_FN, .fn = rd_data_actions},
    {"notDataActions", "properties.permissions", MAP_FN, .fn = rd_not_data_actions},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {NULL},
};

static const char *const role_definition_renames[] = {"type", "roleType", NULL};

/* Built directly in the reference (no createIntegrationEntity rules): only
 * convertProperties of the model, then the rows. */
const entity_spec authz_role_definition_spec = {
    .type = "azure_role_definition",
    .classes = {"AccessRole"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES,
    .props = role_definition_props,
    .hoist_renames = role_definition_renames,
};

/* requested roleDefinitionId (compared case-insensitively) -> stored entity
 * key; NULL while unresolved or when it could not be read.  A linear table:
 * a tenant has a few hundred distinct role definitions. */
typedef struct rd_entry {
    char *requested;
    char *entity_key;   /* NULL until resolved; "" = unavailable */
} rd_entry;

typedef struct rd_table {
    rd_entry *items;
    size_t count, cap;
} rd_table;

static rd_entry *rd_lookup(rd_table *t, const char *id)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcasecmp(t->items[i].requested, id) == 0)
            return &t->items[i];
    return NULL;
}

static void rd_table_free(rd_table *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->items[i].requested);
        free(t->items[i].entity_key);
    }
    free(t->items);
    memset(t, 0, sizeof *t);
}

typedef struct rd_state {
    step_ctx *ctx;
    rd_table table;
    map_ctx mctx;
    char **paths;
    size_t *path_entry;   /* path index -> table index */
} rd_state;

static int rd_collect(void *arg, const cJSON *ra, err_info *err)
{
    rd_state *st = arg;
    const char *id = json_get_string(ra, "roleDefinitionId");
    if (!id || !*id || rd_lookup(&st->table, id))
        return 0;
    if (st->table.count == st->table.cap) {
        size_t cap = st->table.cap ? st->table.cap * 2 : 32;
        rd_entry *items = realloc(st->table.items, cap * sizeof *items);
        if (!items)
            return err_set(err, ERR_NOMEM, "out of memory collecting role definitions");
        st->table.items = items;
        st->table.cap = cap;
    }
    rd_entry *e = &st->table.items[st->table.count];
    memset(e, 0, sizeof *e);
    e->requested = strdup(id);
    if (!e->requested)
        return err_set(err, ERR_NOMEM, "out of memory collecting role definitions");
    st->table.count++;
    return 0;
}

static int rd_answer(void *arg, size_t index, const cJSON *body, err_info *err)
{
    rd_state *st = arg;
    rd_entry *entry = &st->table.items[st->path_entry[index]];
    const char *id = json_get_string(body, "id");
    if (!id) {
        log_kv(LOG_WARN, "role definition answer without id", "roleDefinitionId", entry->requested,
               NULL);
        return 0;
    }
    gov_found found;
    if (!gov_find(st->ctx, id, &found)) {
        cJSON *model = model_copy(body, role_definition_fields);
        cJSON *entity = NULL;
        err_info e = {0};
        if (!model)
            return err_set(err, ERR_NOMEM, "out of memory building a role definition");
        int rc = entity_map_build(&authz_role_definition_spec, model, &st->mctx, &entity, &e);
        cJSON_Delete(model);
        if (rc != 0) {
            if (e.kind == ERR_NOMEM) {
                *err = e;
                return -1;
            }
            log_kv(LOG_WARN, "Could not find or create Azure Role Definition.", "roleDefinitionId",
                   entry->requested, "error", e.message, NULL);
            return 0;
        }
        if (gov_add(st->ctx, entity, true, id, err) != 0)
            return -1;
        if (!gov_find(st->ctx, id, &found))
            return 0;
    }
    free(entry->entity_key);
    entry->entity_key = strdup(found.key);
    if (!entry->entity_key)
        return err_set(err, ERR_NOMEM, "out of memory collecting role definitions");
    return 0;
}

static int rd_relate(void *arg, const cJSON *ra, err_info *err)
{
    rd_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *key = json_get_string(ra, "_key");
    const char *id = json_get_string(ra, "roleDefinitionId");
    rd_entry *entry = id ? rd_lookup(&st->table, id) : NULL;
    if (!key || !entry || !entry->entity_key || !*entry->entity_key)
        return 0;
    return gov_relate(st->ctx, "USES", key, "azure_role_assignment", entry->entity_key,
                      "azure_role_definition", NULL, err);
}

static int run_role_definitions(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    azure_job *job = azure_job_of(ctx);
    rd_state st = {.ctx = ctx, .mctx = {.integration = job}};
    int rc = -1;
    size_t npaths = 0;

    if (step_iterate_entities(ctx, "azure_role_assignment", rd_collect, &st, err) != 0)
        goto done;
    /* Definitions already produced (by an earlier job step) need no call. */
    st.paths = calloc(st.table.count + 1, sizeof *st.paths);
    st.path_entry = calloc(st.table.count + 1, sizeof *st.path_entry);
    if (!st.paths || !st.path_entry) {
        err_set(err, ERR_NOMEM, "out of memory collecting role definitions");
        goto done;
    }
    for (size_t i = 0; i < st.table.count; i++) {
        rd_entry *e = &st.table.items[i];
        gov_found found;
        if (gov_find(ctx, e->requested, &found)) {
            if (!(e->entity_key = strdup(found.key))) {
                err_set(err, ERR_NOMEM, "out of memory collecting role definitions");
                goto done;
            }
            continue;
        }
        size_t n = strlen(e->requested) + sizeof "?api-version=" RD_API + 1;
        if (!(st.paths[npaths] = malloc(n))) {
            err_set(err, ERR_NOMEM, "out of memory collecting role definitions");
            goto done;
        }
        snprintf(st.paths[npaths], n, "%s%s?api-version=" RD_API,
                 e->requested[0] == '/' ? "" : "/", e->requested);
        st.path_entry[npaths++] = i;
    }
    if (npaths > 0) {
        err_info *errs = calloc(npaths, sizeof *errs);
        if (!errs) {
            err_set(err, ERR_NOMEM, "out of memory collecting role definitions");
            goto done;
        }
        err_info e = {0};
        int grc = azure_get_many(azure_job_client(job), AZURE_API_ARM, (const char *const *)st.paths,
                                 npaths, rd_answer, &st, errs, &e);
        for (size_t i = 0; grc != 0 && i < npaths; i++) {
            if (errs[i].kind == ERR_NONE)
                continue;
            if (errs[i].kind == ERR_CANCELLED || errs[i].kind == ERR_NOMEM) {
                *err = errs[i];
                free(errs);
                goto done;
            }
            /* The reference's behaviour: a definition that cannot be read
             * costs only its relationships. */
            log_kv(LOG_WARN, "Could not find or create Azure Role Definition.", "roleDefinitionId",
                   st.table.items[st.path_entry[i]].requested, "error", errs[i].message, "hint",
                   errs[i].hint, NULL);
        }
        free(errs);
        if (grc != 0 && (e.kind == ERR_CANCELLED || e.kind == ERR_NOMEM)) {
            *err = e;
            goto done;
        }
    }
    if (step_iterate_entities(ctx, "azure_role_assignment", rd_relate, &st, err) != 0)
        goto done;
    rc = 0;
done:
    for (size_t i = 0; st.paths && i < npaths; i++)
        free(st.paths[i]);
    free(st.paths);
    free(st.path_entry);
    rd_table_free(&st.table);
    return rc;
}

/* ---- rm-authorization-classic-administrators --------------------------- */

#define CLASSIC_ADMIN_KEY "azure_classic_admin_group"

static cJSON *classic_admin_group(void)
{
    cJSON *e = cJSON_CreateObject();
    cJSON *cls = e ? cJSON_AddArrayToObject(e, "_class") : NULL;
    cJSON *c = cJSON_CreateString("UserGroup");
    if (!cls || !c)
        goto fail;
    cJSON_AddItemToArray(cls, c);
    c = NULL;
    if (!cJSON_AddStringToObject(e, "_key", CLASSIC_ADMIN_KEY) ||
        !cJSON_AddStringToObject(e, "_type", "azure_classic_admin_group") ||
        !cJSON_AddStringToObject(e, "name", "Azure Classic Administrator") ||
        !cJSON_AddStringToObject(e, "displayName", "Azure Classic Administrator") ||
        !cJSON_AddArrayToObject(e, "_rawData"))
        goto fail;
    return e;
fail:
    cJSON_Delete(c);
    cJSON_Delete(e);
    return NULL;
}

/* Adds a string property; an absent value is left out (the SDK drops
 * undefined properties). */
static bool add_optional(cJSON *obj, const char *name, const char *value)
{
    return !value || cJSON_AddStringToObject(obj, name, value) != NULL;
}

cJSON *authz_classic_admin_relationship(const cJSON *admin, const char *default_domain)
{
    const char *email = json_path_string(admin, "properties.emailAddress");
    const char *id = json_get_string(admin, "id");
    cJSON *target = cJSON_CreateObject();
    if (!target || !cJSON_AddStringToObject(target, "_type", "azure_user") ||
        !add_optional(target, "userPrincipalName", email)) {
        cJSON_Delete(target);
        return NULL;
    }
    static const char *const filter[] = {"_type", "userPrincipalName", NULL};
    cJSON *rel = relationship_mapped("HAS", "azure_classic_admin_group_has_user", CLASSIC_ADMIN_KEY,
                                     STEP_FORWARD, target, filter, -1, NULL);
    if (!rel)
        return NULL;
    char *link = gov_weblink_string(default_domain, id);
    bool ok = add_optional(rel, "id", id) &&
              add_optional(rel, "name", json_get_string(admin, "name")) &&
              add_optional(rel, "type", json_get_string(admin, "type")) &&
              add_optional(rel, "emailAddress", email) &&
              add_optional(rel, "role", json_path_string(admin, "properties.role")) &&
              (!link || cJSON_AddStringToObject(rel, "webLink", link));
    free(link);
    if (!ok) {
        cJSON_Delete(rel);
        return NULL;
    }
    return rel;
}

typedef struct ca_state {
    step_ctx *ctx;
    const char *domain;
} ca_state;

static int ca_item(void *arg, const cJSON *admin, err_info *err)
{
    ca_state *st = arg;
    cJSON *rel = authz_classic_admin_relationship(admin, st->domain);
    if (!rel)
        return err_set(err, ERR_NOMEM, "out of memory building a classic administrator relationship");
    return gov_add(st->ctx, rel, false, json_get_string(admin, "id"), err);
}

static int run_classic_administrators(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    azure_job *job = azure_job_of(ctx);
    cJSON *group = classic_admin_group();
    if (!group)
        return err_set(err, ERR_NOMEM, "out of memory building the classic administrator group");
    if (gov_add(ctx, group, true, CLASSIC_ADMIN_KEY, err) != 0)
        return -1;
    ca_state st = {.ctx = ctx, .domain = azure_job_default_domain(job)};
    char path[256];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        snprintf(path, sizeof path,
                 "/subscriptions/%s/providers/Microsoft.Authorization/classicAdministrators?api-version=" CA_API,
                 azure_job_subscription(job, i));
        if (azure_list(azure_job_client(job), AZURE_API_ARM, path, ca_item, &st, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- the step table ---------------------------------------------------- */

#define ASSIGNED(x) {"azure_role_assignment_assigned_" #x, "ASSIGNED", "azure_role_assignment", "azure_" #x}
#define MAPPED(x) {"mapping_source_assigned_azure_" #x, "ASSIGNED", "azure_role_assignment", "azure_" #x}
#define ALLOWS(x) {"azure_role_assignment_allows_" #x, "ALLOWS", "azure_role_assignment", "azure_" #x}

static const step_def step_role_assignments = {
    .id = "rm-authorization-role-assignments",
    .name = "Role Assignments",
    .depends_on = {"ad-account"},
    .entities = {{"[RM] Role Assignment", "azure_role_assignment", {"AccessPolicy"}}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &role_assignments,
};

static const step_def step_principal_relationships = {
    .id = "rm-authorization-role-assignment-principal-relationships",
    .name = "Role Assignment to Principal Relationships",
    .depends_on = {"rm-authorization-role-assignments", "ad-groups", "ad-service-principals",
                   "ad-users"},
    .relationships = {ASSIGNED(unknown_principal_type), ASSIGNED(application), ASSIGNED(directory),
                      ASSIGNED(directory_role_template), ASSIGNED(everyone), ASSIGNED(foreign_group),
                      ASSIGNED(user_group), ASSIGNED(msi), ASSIGNED(service_principal),
                      ASSIGNED(unknown), ASSIGNED(user)},
    .mapped_relationships = {MAPPED(unknown_principal_type), MAPPED(application), MAPPED(directory),
                             MAPPED(directory_role_template), MAPPED(everyone), MAPPED(foreign_group),
                             MAPPED(user_group), MAPPED(msi), MAPPED(service_principal),
                             MAPPED(unknown), MAPPED(user)},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_principal_relationships,
};

static const step_def step_scope_relationships = {
    .id = "rm-authorization-role-assignment-scope-relationships",
    .name = "Role Assignment to Scope Relationships",
    .depends_on = {"rm-authorization-role-assignments", "rm-keyvault-vaults",
                   "rm-network-interfaces", "rm-network-security-groups",
                   "rm-network-ip-addresses", "rm-network-virtual-networks",
                   "rm-cosmosdb-sql-databases", "rm-storage-resources",
                   "rm-api-management-services", "rm-dns-zones", "rm-private-dns-zones",
                   "rm-container-registries", "rm-subscriptions", "rm-resources-resource-groups"},
    .relationships = {ALLOWS(keyvault_service), ALLOWS(nic), ALLOWS(security_group),
                      ALLOWS(public_ip), ALLOWS(vnet), ALLOWS(cosmosdb_account),
                      ALLOWS(storage_account), ALLOWS(api_management_service), ALLOWS(dns_zone),
                      ALLOWS(private_dns_zone), ALLOWS(container_registry), ALLOWS(subscription),
                      ALLOWS(resource_group)},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_scope_relationships,
};

static const step_def step_role_definitions = {
    .id = "rm-authorization-role-definitions",
    .name = "Role Definitions",
    .depends_on = {"ad-account", "rm-authorization-role-assignments"},
    .entities = {{"[RM] Role Definition", "azure_role_definition", {"AccessRole"}}},
    .relationships = {{"azure_role_assignment_uses_definition", "USES", "azure_role_assignment",
                       "azure_role_definition"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_role_definitions,
};

static const step_def step_classic_administrators = {
    .id = "rm-authorization-classic-administrators",
    .name = "Classic Administrators",
    .depends_on = {"ad-users"},
    .entities = {{"[RM] Classic Admin", "azure_classic_admin_group", {"UserGroup"}}},
    .relationships = {{"azure_classic_admin_group_has_user", "HAS", "azure_classic_admin_group",
                       "azure_user"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_classic_administrators,
};

const step_def *const steps_authorization[] = {
    &step_role_assignments, &step_principal_relationships, &step_scope_relationships,
    &step_role_definitions, &step_classic_administrators, NULL,
};

/*
 * active_directory: the account and Azure Active Directory (Microsoft Graph)
 * steps — ad-account, ad-users, ad-groups, ad-group-members,
 * ad-service-principals (docs/spec/azure-sources/part-a §2.1; reference
 * graph-azure src/steps/active-directory/).
 *
 * Every entity type is a table (entity_spec + prop_map rows); code exists
 * only where a value needs it (verified domains, the account key, group
 * member targets).  Large tenants: users, groups and service principals are
 * streamed page by page from azure_list() straight into the graph store, so
 * at most one Graph page per list is in memory.  Group members are fetched
 * for many groups at once with azure_list_many() over batches of 256 group
 * ids (the ids are collected first, ~40 bytes per group, so no Azure call
 * runs inside the store's iteration), within the client's per-API
 * concurrency bound (the client asks for their first pages 20 to a Graph
 * $batch request); relationships are added as each member arrives.
 *
 * Per-item problems (an invalid or duplicate object) are logged and counted
 * and the step goes on, as the reference's Graph iteration does; Azure
 * errors (403, throttling after retries, ...) fail the step with the
 * client's message and hint.  ad-account never fails on Graph errors: it
 * falls back to an account entity built from the instance alone, and a
 * missing Policy.Read.All permission only drops securityDefaultsEnabled.
 */
#include "steps/active_directory.h"

#include "common/json.h"
#include "common/json_arena.h"
#include "common/log.h"
#include "engine/entity_map.h"
#include "engine/relationship.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lists ask for Graph's largest page ($top=999; 100 by default): a tenant
 * of 100,000 users is 101 requests instead of 1,001, a chain of dependent
 * pages that sets the step's wall time, and a tenth of its share of the
 * Graph budget. */
#define AD_TOP "$top=999"
#define AD_USERS_PATH                                                                         \
    "/users?$select=businessPhones,displayName,givenName,jobTitle,mail,mobilePhone,"         \
    "officeLocation,preferredLanguage,surname,userPrincipalName,id,userType&" AD_TOP
#define AD_SECURITY_DEFAULTS_PATH "/policies/identitySecurityDefaultsEnforcementPolicy"
#define AD_MEMBER_BATCH 256
/* What a member relationship uses (Graph adds @odata.type whatever is
 * selected): a member page is then ~45 % of a full one to send and parse. */
#define AD_MEMBER_SELECT "?$select=id,displayName,jobTitle,mail&" AD_TOP

/* ---- ad-account -------------------------------------------------------- */

static int account_display_name(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                cJSON **out, err_info *err)
{
    (void)value;
    (void)item;
    const azure_instance_info *inst = azure_job_instance((const azure_job *)mctx->integration);
    *out = inst && inst->instance_name ? cJSON_CreateString(inst->instance_name) : NULL;
    if (inst && inst->instance_name && !*out)
        return err_set(err, ERR_NOMEM, "out of memory building the account entity");
    return 0;
}

/* The name of the last verified domain flagged isDefault (reference loop). */
static const char *default_domain_of(const cJSON *domains)
{
    const char *found = NULL;
    const cJSON *d;
    cJSON_ArrayForEach(d, domains)
    {
        const cJSON *def = json_get(d, "isDefault");
        if (cJSON_IsTrue(def) && json_get_string(d, "name"))
            found = json_get_string(d, "name");
    }
    return found;
}

static int account_default_domain(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                  cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    const char *name = default_domain_of(value);
    *out = name ? cJSON_CreateString(name) : NULL;
    if (name && !*out)
        return err_set(err, ERR_NOMEM, "out of memory building the account entity");
    return 0;
}

static int account_verified_domains(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                    cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return err_set(err, ERR_NOMEM, "out of memory building the account entity");
    const cJSON *d;
    cJSON_ArrayForEach(d, value)
    {
        const char *name = json_get_string(d, "name");
        cJSON *s = name ? cJSON_CreateString(name) : cJSON_CreateNull();
        if (!s) {
            cJSON_Delete(arr);
            return err_set(err, ERR_NOMEM, "out of memory building the account entity");
        }
        cJSON_AddItemToArray(arr, s);
    }
    *out = arr;
    return 0;
}

/* vendor is not set by the reference, but the Account schema requires it
 * and the engine's store enforces the schemas; every later step needs this
 * entity, so it carries the (true) vendor. */
static const prop_map account_props[] = {
    {"vendor", NULL, MAP_CONST_STRING, "Microsoft"},
    {"name", "displayName", MAP_STRING},
    {"displayName", "displayName", MAP_FN, .fn = account_display_name},
    {"organizationName", "displayName", MAP_STRING},
    {"defaultDomain", "verifiedDomains", MAP_FN, .fn = account_default_domain},
    {"verifiedDomains", "verifiedDomains", MAP_FN, .fn = account_verified_domains},
    {NULL},
};

const entity_spec ad_account_spec = {
    .type = "azure_account",
    .classes = {"Account"},
    .flags = ENTITY_SCHEMA_PASSTHROUGH,
    .props = account_props,
};

/* The fallback account: instance id and name only, empty _rawData. */
static cJSON *account_fallback(const azure_instance_info *inst)
{
    cJSON *e = cJSON_CreateObject();
    cJSON *cls = cJSON_AddArrayToObject(e, "_class");
    if (!e || !cls)
        goto fail;
    cJSON *c = cJSON_CreateString("Account");
    if (!c)
        goto fail;
    cJSON_AddItemToArray(cls, c);
    if (!cJSON_AddStringToObject(e, "_key", inst->instance_id) ||
        !cJSON_AddStringToObject(e, "_type", "azure_account") ||
        !cJSON_AddStringToObject(e, "vendor", "Microsoft") ||
        !cJSON_AddStringToObject(e, "name", inst->instance_name) ||
        !cJSON_AddStringToObject(e, "displayName", inst->instance_name) ||
        !cJSON_AddArrayToObject(e, "_rawData"))
        goto fail;
    return e;
fail:
    cJSON_Delete(e);
    return NULL;
}

/* Reads the security defaults policy; never fails the step.  Returns the
 * policy object, or NULL (permission missing or any other error, logged). */
static cJSON *read_security_defaults(azure_client *client)
{
    cJSON *policy = NULL;
    err_info e = {0};
    if (azure_get_json(client, AZURE_API_GRAPH, AD_SECURITY_DEFAULTS_PATH, &policy, &e) == 0) {
        if (cJSON_IsObject(policy))
            return policy;
        cJSON_Delete(policy);
        return NULL;
    }
    if (e.kind == ERR_FORBIDDEN)
        log_kv(LOG_WARN,
               "Unable to fetch data from /policies/identitySecurityDefaultsEnforcementPolicy. "
               "See https://github.com/JupiterOne/graph-azure/blob/master/docs/jupiterone.md#permissions "
               "for more information about optional permissions for this integration.",
               "event", "auth", "hint", "grant the optional Microsoft Graph permission Policy.Read.All",
               NULL);
    else
        log_kv(LOG_ERROR, "could not read the security defaults policy; securityDefaultsEnabled omitted",
               "error", e.message, NULL);
    return NULL;
}

/* Builds the account entity from the organization and the policy. */
static int account_from_org(const cJSON *org, cJSON *policy, const azure_instance_info *inst,
                            const map_ctx *mctx, cJSON **out, err_info *err)
{
    cJSON *e = NULL;
    if (entity_map_build(&ad_account_spec, org, mctx, &e, err) != 0)
        return -1;
    cJSON *key = cJSON_CreateString(inst->instance_id);
    if (!key || !json_set(e, "_key", key))
        goto nomem;
    if (policy) {
        const cJSON *enabled = json_get(policy, "isEnabled");
        if (cJSON_IsBool(enabled) &&
            !cJSON_AddBoolToObject(e, "securityDefaultsEnabled", cJSON_IsTrue(enabled)))
            goto nomem;
        cJSON *raw = cJSON_GetObjectItemCaseSensitive(e, "_rawData");
        cJSON *entry = cJSON_CreateObject();
        if (!raw || !entry) {
            cJSON_Delete(entry);
            goto nomem;
        }
        cJSON_AddItemToArray(raw, entry);
        cJSON *copy = cJSON_Duplicate(policy, 1);
        if (!copy || !cJSON_AddStringToObject(entry, "name", "identitySecurityDefaultsEnforcementPolicy")) {
            cJSON_Delete(copy);
            goto nomem;
        }
        cJSON_AddItemToObject(entry, "rawData", copy);
    }
    *out = e;
    return 0;
nomem:
    cJSON_Delete(e);
    return err_set(err, ERR_NOMEM, "out of memory building the account entity");
}

static int run_account(step_ctx *ctx, err_info *err)
{
    azure_job *job = azure_job_of(ctx);
    azure_client *client = azure_job_client(job);
    const azure_instance_info *inst = azure_job_instance(job);
    map_ctx mctx = {.integration = job};
    cJSON *orgs = NULL, *policy = NULL, *account = NULL;
    err_info e = {0};
    int rc = -1;

    if (azure_get_json(client, AZURE_API_GRAPH, "/organization", &orgs, &e) == 0) {
        const cJSON *org = cJSON_GetArrayItem(json_get(orgs, "value"), 0);
        if (cJSON_IsObject(org)) {
            policy = read_security_defaults(client);
            if (account_from_org(org, policy, inst, &mctx, &account, &e) != 0 && e.kind == ERR_NOMEM) {
                *err = e;
                goto done;
            }
        } else {
            log_warn("Microsoft Graph /organization answered no organization; using the fallback account");
        }
    } else if (e.kind == ERR_CANCELLED) {
        *err = e;
        goto done;
    } else {
        log_kv(LOG_WARN, "could not read the organization; the account has no defaultDomain, so no "
               "entity gets a webLink", "error", e.message, "hint", e.hint, NULL);
    }
    if (!account && !(account = account_fallback(inst))) {
        err_set(err, ERR_NOMEM, "out of memory building the account entity");
        goto done;
    }

    const char *domain = json_get_string(account, "defaultDomain");
    if (domain)
        azure_job_set_default_domain(job, domain);
    cJSON *copy = cJSON_Duplicate(account, 1);
    if (!copy) {
        err_set(err, ERR_NOMEM, "out of memory storing the account entity");
        goto done;
    }
    if (step_data_set(ctx, "azure_account", copy, err) != 0)
        goto done;
    cJSON *added = account;
    account = NULL;
    if (step_add_entity(ctx, added, err) != 0)
        goto done;
    rc = 0;
done:
    cJSON_Delete(orgs);
    cJSON_Delete(policy);
    cJSON_Delete(account);
    return rc;
}

/* The account's _key (the instance id), from job data set by ad-account. */
const char *ad_account_key(step_ctx *ctx, err_info *err)
{
    const char *key = json_get_string(step_data_get(ctx, "azure_account"), "_key");
    if (!key) {
        err_set(err, ERR_INTERNAL, "Could not find account entity in job state");
        err_hint(err, "step ad-account must run first; see its error");
    }
    return key;
}

/* ---- ad-users ---------------------------------------------------------- */

static const prop_map user_props[] = {
    {"name", "displayName", MAP_STRING},
    {"email", "mail", MAP_STRING},
    {"firstName", "givenName", MAP_STRING},
    {"lastName", "surname", MAP_STRING},
    {"username", "userPrincipalName", MAP_STRING},
    {NULL},
};

const entity_spec ad_user_spec = {
    .type = "azure_user",
    .classes = {"User"},
    .flags = ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = user_props,
};

typedef struct ad_list_state {
    step_ctx *ctx;
    map_ctx mctx;
    const char *account_key;
    const entity_spec *spec;
    const char *rel_class;   /* account -> entity relationship, or NULL */
    const char *rel_type;    /* explicit _type, or NULL = generated */
} ad_list_state;

/* Run per item in a json_scope (json_scoped_item): entity and
 * relationship are gone once added. */
static int ad_list_add(void *arg, const cJSON *item, err_info *err)
{
    ad_list_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *id = json_get_string(item, "id");
    if (!id) {
        log_kv(LOG_WARN, "skipped a directory object without id", "step",
               step_current(st->ctx)->id, NULL);
        return 0;
    }
    cJSON *entity = NULL;
    err_info e = {0};
    if (entity_map_build(st->spec, item, &st->mctx, &entity, &e) != 0) {
        if (e.kind == ERR_NOMEM) {
            *err = e;
            return -1;
        }
        log_kv(LOG_WARN, "skipped a directory object", "id", id, "error", e.message, NULL);
        return 0;
    }
    if (gov_add(st->ctx, entity, true, id, err) != 0)
        return -1;
    if (!st->rel_class)
        return 0;
    return gov_add_direct(st->ctx, st->rel_class, st->account_key, "azure_account", id,
                          st->spec->type, st->rel_type, id, err);
}

static int run_list(step_ctx *ctx, const char *path, const entity_spec *spec,
                    const char *rel_class, const char *rel_type, err_info *err)
{
    azure_job *job = azure_job_of(ctx);
    ad_list_state st = {.ctx = ctx, .mctx = {.integration = job}, .spec = spec,
                        .rel_class = rel_class, .rel_type = rel_type};
    if (rel_class && !(st.account_key = ad_account_key(ctx, err)))
        return -1;
    json_scoped scoped = {ad_list_add, &st};
    return azure_list(azure_job_client(job), AZURE_API_GRAPH, path, json_scoped_item, &scoped,
                      err);
}

static int run_users(step_ctx *ctx, err_info *err)
{
    return run_list(ctx, AD_USERS_PATH, &ad_user_spec, "HAS", NULL, err);
}

/* ---- ad-groups --------------------------------------------------------- */

static const prop_map group_props[] = {
    {"name", "displayName", MAP_STRING},
    {"deletedOn", "deletedDateTime", MAP_TIME_MS},
    {"createdOn", "createdDateTime", MAP_TIME_MS},
    {"email", "mail", MAP_STRING},
    {"renewedOn", "renewedDateTime", MAP_TIME_MS},
    {NULL},
};

const entity_spec ad_group_spec = {
    .type = "azure_user_group",
    .classes = {"UserGroup"},
    .flags = ENTITY_CONVERT_PROPERTIES | ENTITY_PARSE_TIME | ENTITY_SCHEMA_PASSTHROUGH,
    .props = group_props,
};

static int run_groups(step_ctx *ctx, err_info *err)
{
    return run_list(ctx, "/groups?" AD_TOP, &ad_group_spec, "HAS", "azure_account_has_group", err);
}

/* ---- ad-service-principals -------------------------------------------- */

static const prop_map service_principal_props[] = {
    {"userType", NULL, MAP_CONST_STRING, "service"},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "infrastructure"},
    {"name", "displayName", MAP_STRING},
    {"displayName", "displayName", MAP_STRING},
    {"appDisplayName", "appDisplayName", MAP_STRING},
    {"appId", "appId", MAP_STRING},
    {"servicePrincipalType", "servicePrincipalType", MAP_STRING},
    {"servicePrincipalNames", "servicePrincipalNames", MAP_ARRAY},
    {NULL},
};

const entity_spec ad_service_principal_spec = {
    .type = "azure_service_principal",
    .classes = {"Service"},
    .flags = ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = service_principal_props,
};

static int run_service_principals(step_ctx *ctx, err_info *err)
{
    return run_list(ctx, "/servicePrincipals?" AD_TOP, &ad_service_principal_spec, NULL, NULL, err);
}

/* ---- ad-group-members -------------------------------------------------- */

/* Target _type / _class of a member by its @odata.type. */
static void member_target(const char *odata_type, const char **type, const char **cls)
{
    if (odata_type && strcmp(odata_type, "#microsoft.graph.user") == 0) {
        *type = "azure_user";
        *cls = "User";
    } else if (odata_type && strcmp(odata_type, "#microsoft.graph.group") == 0) {
        *type = "azure_user_group";
        *cls = "UserGroup";
    } else {
        *type = "azure_group_member";
        *cls = "User";
    }
}

/* Copies member[field] into target[name]: JSON null stays null, an absent
 * field stays absent, a string is copied. */
static bool copy_nullable(cJSON *target, const char *name, const cJSON *member, const char *field)
{
    const cJSON *v = json_get(member, field);
    if (!v)
        return true;
    if (cJSON_IsNull(v))
        return cJSON_AddNullToObject(target, name) != NULL;
    if (cJSON_IsString(v))
        return cJSON_AddStringToObject(target, name, v->valuestring) != NULL;
    return true;
}

cJSON *ad_group_member_relationship(const char *group_id, const cJSON *member)
{
    const char *member_id = json_get_string(member, "id");
    const char *odata_type = json_get_string(member, "@odata.type");
    if (!group_id || !member_id)
        return NULL;
    const char *type, *cls;
    member_target(odata_type, &type, &cls);

    cJSON *target = cJSON_CreateObject();
    if (!target || !cJSON_AddStringToObject(target, "_type", type) ||
        !cJSON_AddStringToObject(target, "_class", cls) ||
        !cJSON_AddStringToObject(target, "_key", member_id) ||
        !copy_nullable(target, "displayName", member, "displayName") ||
        !copy_nullable(target, "jobTitle", member, "jobTitle") ||
        !copy_nullable(target, "email", member, "mail")) {
        cJSON_Delete(target);
        return NULL;
    }
    size_t klen = strlen(group_id) + strlen(member_id) + 2;
    char *key = malloc(klen);
    if (!key) {
        cJSON_Delete(target);
        return NULL;
    }
    snprintf(key, klen, "%s_%s", group_id, member_id);
    cJSON *rel = relationship_mapped("HAS", "azure_group_has_member", group_id, STEP_FORWARD,
                                     target, NULL, -1, key);
    free(key);
    if (!rel)
        return NULL;
    if (!cJSON_AddStringToObject(rel, "groupId", group_id) ||
        !cJSON_AddStringToObject(rel, "memberId", member_id) ||
        (odata_type && !cJSON_AddStringToObject(rel, "memberType", odata_type))) {
        cJSON_Delete(rel);
        return NULL;
    }
    return rel;
}

/* Writes ,"name":value for v as copy_nullable copies it. */
static void write_nullable(sbuf *out, const char *name, const cJSON *v)
{
    if (!cJSON_IsNull(v) && !cJSON_IsString(v))
        return;
    sbuf_puts(out, name);
    if (cJSON_IsNull(v))
        sbuf_puts(out, "null");
    else
        json_write_string(out, v->valuestring);
}

/* The members of a member object the relationship uses (json_get_many). */
enum { F_ID, F_ODATA_TYPE, F_DISPLAY_NAME, F_JOB_TITLE, F_MAIL, F_COUNT };
static const char *const member_field_names[F_COUNT] = {"id", "@odata.type", "displayName",
                                                         "jobTitle", "mail"};

int ad_group_member_write(sbuf *out, sbuf *key, const char *group_id, const cJSON *member)
{
    sbuf_reset(out);
    sbuf_reset(key);
    const cJSON *f[F_COUNT];
    json_get_many(member, member_field_names, F_COUNT, f);
    const char *member_id = json_string(f[F_ID]);
    const char *odata_type = json_string(f[F_ODATA_TYPE]);
    if (!group_id || !member_id)
        return -1;
    const char *type, *cls;
    member_target(odata_type, &type, &cls);
    sbuf_puts(key, group_id);
    sbuf_putc(key, '_');
    sbuf_puts(key, member_id);
    /* member order of relationship_mapped, then the three properties */
    sbuf_puts(out, "{\"_class\":\"HAS\",\"_type\":\"azure_group_has_member\",\"_key\":");
    json_write_string(out, sbuf_str(key));
    sbuf_puts(out, ",\"displayName\":\"HAS\",\"_mapping\":{\"relationshipDirection\":\"FORWARD\","
                   "\"sourceEntityKey\":");
    json_write_string(out, group_id);
    sbuf_puts(out, ",\"targetFilterKeys\":[[\"_type\",\"_key\"]],\"targetEntity\":{\"_type\":");
    json_write_string(out, type);
    sbuf_puts(out, ",\"_class\":");
    json_write_string(out, cls);
    sbuf_puts(out, ",\"_key\":");
    json_write_string(out, member_id);
    write_nullable(out, ",\"displayName\":", f[F_DISPLAY_NAME]);
    write_nullable(out, ",\"jobTitle\":", f[F_JOB_TITLE]);
    write_nullable(out, ",\"email\":", f[F_MAIL]);
    sbuf_puts(out, "}},\"groupId\":");
    json_write_string(out, group_id);
    sbuf_puts(out, ",\"memberId\":");
    json_write_string(out, member_id);
    if (odata_type) {
        sbuf_puts(out, ",\"memberType\":");
        json_write_string(out, odata_type);
    }
    sbuf_putc(out, '}');
    return sbuf_failed(out) || sbuf_failed(key) ? -1 : 0;
}

typedef struct member_batch {
    step_ctx *ctx;
    char *ids[AD_MEMBER_BATCH];
    char *paths[AD_MEMBER_BATCH];
    size_t count;
    int64_t groups_failed;
    err_info first_error;
    sbuf text, key; /* one member relationship (reused) */
} member_batch;

static void member_batch_clear(member_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        free(b->ids[i]);
        free(b->paths[i]);
        b->ids[i] = b->paths[i] = NULL;
    }
    b->count = 0;
}

static int member_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    member_batch *b = arg;
    if (step_should_stop(b->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    /* written as text into the batch's buffers: no cJSON tree */
    if (ad_group_member_write(&b->text, &b->key, b->ids[index], item) != 0) {
        if (!sbuf_failed(&b->text) && !sbuf_failed(&b->key)) { /* not memory: no id */
            log_kv(LOG_WARN, "skipped a group member without id", "groupId", b->ids[index], NULL);
            return 0;
        }
        sbuf_free(&b->text); /* clears the failed state */
        sbuf_free(&b->key);
        return err_set(err, ERR_NOMEM, "out of memory building a group member relationship");
    }
    return gov_add_text(b->ctx, sbuf_str(&b->key), "azure_group_has_member", &b->text,
                        b->ids[index], err);
}

/* Fetches the members of the batch's groups in parallel.  A group whose
 * members cannot be read is remembered; the others go on. */
static int member_batch_flush(member_batch *b, azure_client *client, err_info *err)
{
    if (b->count == 0)
        return 0;
    /* Per-list errors live on the heap: ~200 KB for a batch would be too
     * much for a worker thread's stack. */
    err_info *errs = calloc(b->count, sizeof *errs);
    if (!errs)
        return err_set(err, ERR_NOMEM, "out of memory listing group members");
    err_info e = {0};
    int rc = azure_list_many(client, AZURE_API_GRAPH, (const char *const *)b->paths, b->count,
                             member_item, b, errs, &e);
    int result = 0;
    for (size_t i = 0; rc != 0 && i < b->count && result == 0; i++) {
        if (errs[i].kind == ERR_NONE)
            continue;
        if (errs[i].kind == ERR_CANCELLED || errs[i].kind == ERR_NOMEM) {
            *err = errs[i];
            result = -1;
            break;
        }
        if (b->groups_failed++ == 0)
            b->first_error = errs[i];
        log_kv(LOG_WARN, "could not read the members of a group", "groupId", b->ids[i], "error",
               errs[i].message, NULL);
    }
    if (result == 0 && rc != 0 && (e.kind == ERR_CANCELLED || e.kind == ERR_NOMEM)) {
        *err = e;
        result = -1;
    }
    free(errs);
    member_batch_clear(b);
    return result;
}

/* Group ids are collected first (a few hundred kilobytes for 10,000
 * groups), so that no Azure call runs inside the store's iteration. */
static int run_group_members(step_ctx *ctx, err_info *err)
{
    azure_client *client = azure_job_client(azure_job_of(ctx));
    gov_strings groups = {0};
    member_batch *b = calloc(1, sizeof *b);
    int rc = -1;
    if (!b) {
        err_set(err, ERR_NOMEM, "out of memory listing group members");
        goto done;
    }
    b->ctx = ctx;
    if (gov_collect(ctx, "azure_user_group", "id", &groups, err) != 0)
        goto done;
    for (size_t g = 0; g < groups.count; g++) {
        const char *id = groups.items[g];
        size_t plen = strlen(id) + sizeof "/groups//members" + sizeof AD_MEMBER_SELECT;
        b->paths[b->count] = malloc(plen);
        b->ids[b->count] = strdup(id);
        if (!b->paths[b->count] || !b->ids[b->count]) {
            free(b->paths[b->count]);
            free(b->ids[b->count]);
            b->paths[b->count] = b->ids[b->count] = NULL;
            err_set(err, ERR_NOMEM, "out of memory listing group members");
            goto done;
        }
        snprintf(b->paths[b->count], plen, "/groups/%s/members%s", id, AD_MEMBER_SELECT);
        b->count++;
        if (b->count == AD_MEMBER_BATCH || g + 1 == groups.count) {
            if (step_should_stop(ctx)) {
                err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
                goto done;
            }
            if (member_batch_flush(b, client, err) != 0)
                goto done;
        }
    }
    rc = 0;
    if (b->groups_failed > 0) {
        /* Not every group could be read: the relationships of the others
         * are kept, the step reports the first cause. */
        *err = b->first_error;
        err_prefix(err, "members of %lld group(s) could not be read",
                   (long long)b->groups_failed);
        rc = -1;
    }
done:
    if (b) {
        member_batch_clear(b);
        sbuf_free(&b->text);
        sbuf_free(&b->key);
    }
    free(b);
    gov_strings_free(&groups);
    return rc;
}

/* ---- the step table ---------------------------------------------------- */

static const step_def step_account = {
    .id = "ad-account",
    .name = "Active Directory Info",
    .entities = {{"[AD] Account", "azure_account", {"Account"}}},
    .enabled_when = STEP_ALWAYS,
    .run = run_account,
};

static const step_def step_users = {
    .id = "ad-users",
    .name = "Active Directory Users",
    .depends_on = {"ad-account"},
    .entities = {{"[AD] User", "azure_user", {"User"}}},
    .relationships = {{"azure_account_has_user", "HAS", "azure_account", "azure_user"}},
    .enabled_when = STEP_IF_ACTIVE_DIRECTORY,
    .run = run_users,
};

static const step_def step_groups = {
    .id = "ad-groups",
    .name = "Active Directory Groups",
    .depends_on = {"ad-account"},
    .entities = {{"[AD] Group", "azure_user_group", {"UserGroup"}}},
    .relationships = {{"azure_account_has_group", "HAS", "azure_account", "azure_user_group"}},
    .enabled_when = STEP_IF_ACTIVE_DIRECTORY,
    .run = run_groups,
};

static const step_def step_group_members = {
    .id = "ad-group-members",
    .name = "Active Directory Group Members",
    .depends_on = {"ad-groups"},
    .entities = {{"[AD] Group Member", "azure_group_member", {"User"}}},
    .relationships = {{"azure_group_has_user", "HAS", "azure_user_group", "azure_user"},
                      {"azure_group_has_group", "HAS", "azure_user_group", "azure_user_group"},
                      {"azure_group_has_member", "HAS", "azure_user_group", "azure_group_member"}},
    .enabled_when = STEP_IF_ACTIVE_DIRECTORY,
    .run = run_group_members,
};

static const step_def step_service_principals = {
    .id = "ad-service-principals",
    .name = "Active Directory Service Principals",
    .depends_on = {"ad-account"},
    .entities = {{"[AD] Service Principal", "azure_service_principal", {"Service"}}},
    .enabled_when = STEP_IF_ACTIVE_DIRECTORY,
    .run = run_service_principals,
};

const step_def *const steps_active_directory[] = {
    &step_account, &step_users, &step_groups, &step_group_members, &step_service_principals, NULL,
};

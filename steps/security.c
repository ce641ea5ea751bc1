/*
 * security: Security Center — assessments, contacts, pricing configurations
 * (docs/spec/azure-sources part-a §2.6; reference graph-azure
 * src/steps/resource-manager/security/).
 *
 * Three tables.  Assessments need two bits of code: the SDK's
 * convertProperties of the nested `metadata` and `resourceDetails` objects
 * under a prefix (a fixup), and the scanned resource id, which Azure
 * returns with capitalised keys (`Source`/`Id`).  Assessments are listed per
 * subscription entity (scope = the entity's key, sent percent-encoded as the
 * reference's SDK did) and in parallel; contacts and pricings per ingested
 * subscription, related to the subscription entity when it exists.
 */
#include "steps/security.h"

#include "common/json.h"
#include "common/log.h"
#include "common/sbuf.h"
#include "engine/relationship.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSESSMENT_API "2020-01-01"
#define PRICING_API "2018-06-01"
#define CONTACT_API "2017-08-01-preview"

/* ---- rm-security-assessments ------------------------------------------- */

static int assessment_category(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                               cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    bool truthy = value && !cJSON_IsNull(value) && !cJSON_IsFalse(value) &&
                  !(cJSON_IsString(value) && !*value->valuestring) &&
                  !(cJSON_IsNumber(value) && value->valuedouble == 0);
    if (truthy) {
        char *text = json_print(value);
        *out = text ? cJSON_CreateString(text) : NULL;
        free(text);
    } else {
        *out = cJSON_CreateString("Security Assessment");
    }
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory building an assessment");
}

static int assessment_scanned_id(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                 cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    const char *source = json_get_string(value, "source");
    if (!source || !*source)
        source = json_get_string(value, "Source");
    if (!source || strcmp(source, "Azure") != 0)
        return 0;
    const char *id = json_get_string(value, "id");
    if (!id || !*id)
        id = json_get_string(value, "Id");
    if (id && !(*out = cJSON_CreateString(id)))
        return err_set(err, ERR_NOMEM, "out of memory building an assessment");
    return 0;
}

static const prop_map assessment_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"displayName", "properties.displayName", MAP_STRING},
    {"category", "properties.metadata.category", MAP_FN, .fn = assessment_category},
    {"summary", "properties.displayName", MAP_STRING},
    {"internal", NULL, MAP_CONST_BOOL, "true"},
    {"type", "type", MAP_STRING},
    {"statusCode", "properties.status.code", MAP_STRING},
    {"statusCause", "properties.status.cause", MAP_STRING},
    {"statusDescription", "properties.status.description", MAP_STRING},
    {"scannedResourceId", "properties.resourceDetails", MAP_FN, .fn = assessment_scanned_id},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {NULL},
};

/* SDK convertProperties(obj, {prefix}) without parseTime. */
static int convert_prefixed(cJSON *entity, const cJSON *obj, const char *prefix, err_info *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        cJSON *value = NULL;
        if (cJSON_IsString(m) || cJSON_IsNumber(m) || cJSON_IsBool(m)) {
            value = cJSON_Duplicate(m, 0);
        } else if (cJSON_IsArray(m)) {
            const cJSON *first = cJSON_GetArrayItem(m, 0);
            if (!first || cJSON_IsNull(first) || cJSON_IsObject(first) || cJSON_IsArray(first))
                continue;
            value = cJSON_CreateArray();
            const cJSON *el;
            cJSON_ArrayForEach(el, m)
            {
                cJSON *c = (cJSON_IsString(el) || cJSON_IsNumber(el) || cJSON_IsBool(el))
                               ? cJSON_Duplicate(el, 0) : cJSON_CreateNull();
                if (!value || !c) {
                    cJSON_Delete(c);
                    cJSON_Delete(value);
                    return err_set(err, ERR_NOMEM, "out of memory building an assessment");
                }
                cJSON_AddItemToArray(value, c);
            }
        } else {
            continue;
        }
        char *camel = entity_map_camel_case(m->string);
        char name[256];
        if (!value || !camel) {
            cJSON_Delete(value);
            free(camel);
            return err_set(err, ERR_NOMEM, "out of memory building an assessment");
        }
        snprintf(name, sizeof name, "%s.%s", prefix, camel);
        free(camel);
        if (!json_set(entity, name, value))
            return err_set(err, ERR_NOMEM, "out of memory building an assessment");
    }
    return 0;
}

static int assessment_fixup(const cJSON *item, cJSON *entity, const map_ctx *mctx, err_info *err)
{
    (void)mctx;
    if (convert_prefixed(entity, json_path(item, "properties.metadata"), "metadata", err) != 0)
        return -1;
    return convert_prefixed(entity, json_path(item, "properties.resourceDetails"),
                            "resourceDetails", err);
}

const entity_spec security_assessment_spec = {
    .type = "azure_security_assessment",
    .classes = {"Assessment"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = assessment_props,
    .fixup = assessment_fixup,
};

typedef struct assess_state {
    step_ctx *ctx;
    gov_strings subs;   /* subscription entity keys, index = list index */
} assess_state;

static int assess_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    assess_state *st = arg;
    bool added;
    if (gov_map_add(st->ctx, &security_assessment_spec, item, &added, err) != 0)
        return -1;
    gov_found a;
    if (!added || !gov_find(st->ctx, json_get_string(item, "id"), &a))
        return 0;
    return gov_relate(st->ctx, "PERFORMED", st->subs.items[index], "azure_subscription", a.key,
                      "azure_security_assessment",
                      "azure_subscription_performed_security_assessment", err);
}

static int run_assessments(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    assess_state st = {.ctx = ctx};
    gov_strings paths = {0};
    int rc = -1;
    if (gov_collect(ctx, "azure_subscription", "_key", &st.subs, err) != 0)
        goto done;
    for (size_t i = 0; i < st.subs.count; i++) {
        sbuf b;
        sbuf_init(&b);
        sbuf_putc(&b, '/');
        for (const char *p = st.subs.items[i]; *p; p++) {
            if (*p == '/')
                sbuf_puts(&b, "%2F");
            else
                sbuf_putc(&b, *p);
        }
        sbuf_puts(&b, "/providers/Microsoft.Security/assessments?api-version=" ASSESSMENT_API);
        if (sbuf_failed(&b)) {
            sbuf_free(&b);
            err_set(err, ERR_NOMEM, "out of memory listing assessments");
            goto done;
        }
        int arc = gov_strings_add(&paths, sbuf_str(&b), err);
        sbuf_free(&b);
        if (arc != 0)
            goto done;
    }
    rc = gov_list_parallel(ctx, paths.items, paths.count, assess_item, &st, err);
done:
    gov_strings_free(&paths);
    gov_strings_free(&st.subs);
    return rc;
}

/* ---- rm-security-center-contacts / pricing configs -------------------- */

static const prop_map contact_props[] = {
    {"id", "id", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {"email", "properties.email", MAP_STRING},
    {"phone", "properties.phone", MAP_STRING},
    {"alertNotifications", "properties.alertNotifications", MAP_STRING},
    {"alertsToAdmins", "properties.alertsToAdmins", MAP_STRING},
    {NULL},
};

const entity_spec security_contact_spec = {
    .type = "azure_security_center_contact",
    .classes = {"Resource"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = contact_props,
};

static const prop_map pricing_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"pricingTier", "properties.pricingTier", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {NULL},
};

const entity_spec security_pricing_spec = {
    .type = "azure_security_center_subscription_pricing",
    .classes = {"Configuration"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = pricing_props,
};

static const gov_sub_collection contacts = {
    .spec = &security_contact_spec,
    .path_fmt = "/subscriptions/%s/providers/Microsoft.Security/securityContacts?api-version=" CONTACT_API,
    .link_subscription = true,
};

static const gov_sub_collection pricings = {
    .spec = &security_pricing_spec,
    .path_fmt = "/subscriptions/%s/providers/Microsoft.Security/pricings?api-version=" PRICING_API,
    .link_subscription = true,
    .rel_type = "azure_subscription_has_security_center_subscription_pricing",
};

/* ---- the step table ---------------------------------------------------- */

static const step_def step_assessments = {
    .id = "rm-security-assessments",
    .name = "Security Assessments",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Security Assessment", "azure_security_assessment", {"Assessment"}}},
    .relationships = {{"azure_subscription_performed_security_assessment", "PERFORMED",
                       "azure_subscription", "azure_security_assessment"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_assessments,
};

static const step_def step_contacts = {
    .id = "rm-security-center-contacts",
    .name = "Security Contacts",
    .depends_on = {"ad-account", "rm-subscriptions"},
    .entities = {{"[RM] Security Contact", "azure_security_center_contact", {"Resource"}}},
    .relationships = {{"azure_subscription_has_security_center_contact", "HAS",
                       "azure_subscription", "azure_security_center_contact"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &contacts,
};

static const step_def step_pricings = {
    .id = "rm-security-center-pricing-configs",
    .name = "Security Center Pricing Configurations",
    .depends_on = {"ad-account", "rm-subscriptions"},
    .entities = {{"[RM] Security Center Subscription Pricing",
                  "azure_security_center_subscription_pricing", {"Configuration"}}},
    .relationships = {{"azure_subscription_has_security_center_subscription_pricing", "HAS",
                       "azure_subscription", "azure_security_center_subscription_pricing"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &pricings,
};

const step_def *const steps_security[] = {&step_assessments, &step_contacts, &step_pricings, NULL};

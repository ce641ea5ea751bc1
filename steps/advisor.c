/*
 * advisor: rm-advisor-recommendations (docs/spec/azure-sources part-a §2.8;
 * reference graph-azure src/steps/resource-manager/advisor/).
 *
 * One table; code only for the numeric severity, the score (a string in
 * Azure's answer) and the targets list.  The step runs after every other
 * Resource Manager step: a recommendation names its resource and the
 * security assessment behind it with lower-cased ids, which the store's
 * case-insensitive index resolves to the entities as other steps stored
 * them.
 */
#include "steps/advisor.h"

#include "common/json.h"
#include "common/log.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdlib.h>
#include <string.h>

#define ADVISOR_API "2020-01-01"

static int numeric_severity(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                            cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    double n = 5;
    const char *impact = cJSON_IsString(value) ? value->valuestring : "";
    if (strcmp(impact, "High") == 0)
        n = 10;
    else if (strcmp(impact, "Low") == 0)
        n = 1;
    *out = cJSON_CreateNumber(n);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory building a recommendation");
}

/* JavaScript parseFloat: the longest numeric prefix, absent when none. */
static int score(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                 err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    if (!cJSON_IsString(value))
        return 0;
    const char *s = value->valuestring;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    char *end = NULL;
    double d = strtod(s, &end);
    if (end == s || (end > s && (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0)))
        return 0;
    *out = cJSON_CreateNumber(d);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory building a recommendation");
}

static int targets(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                   err_info *err)
{
    (void)value;
    (void)mctx;
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return err_set(err, ERR_NOMEM, "out of memory building a recommendation");
    static const char *const fields[] = {"properties.impactedField", "properties.impactedValue"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = json_path_string(item, fields[i]);
        cJSON *s = v && *v ? cJSON_CreateString(v) : NULL;
        if (v && *v && !s) {
            cJSON_Delete(arr);
            return err_set(err, ERR_NOMEM, "out of memory building a recommendation");
        }
        if (s)
            cJSON_AddItemToArray(arr, s);
    }
    *out = arr;
    return 0;
}

static const prop_map recommendation_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"category", "properties.category", MAP_STRING},
    {"assessment", "properties.extendedProperties.assessmentKey", MAP_STRING},
    {"severity", "properties.impact", MAP_STRING},
    {"numericSeverity", "properties.impact", MAP_FN, .fn = numeric_severity},
    {"score", "properties.extendedProperties.score", MAP_FN, .fn = score},
    {"impact", "properties.impact", MAP_LOWER},
    {"recommendation", "properties.shortDescription.solution", MAP_STRING},
    {"targets", "properties", MAP_FN, .fn = targets},
    {"shortDescriptionProblem", "properties.shortDescription.problem", MAP_STRING},
    {"shortDescriptionSolution", "properties.shortDescription.solution", MAP_STRING},
    {"resourceId", "properties.resourceMetadata.resourceId", MAP_STRING},
    {"source", "properties.resourceMetadata.source", MAP_STRING},
    {"open", NULL, MAP_CONST_BOOL, "true"},
    {"updatedOn", "properties.lastUpdated", MAP_TIME_MS},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {NULL},
};

/* lastUpdated is a Date in the reference's SDK model, so convertProperties
 * never copied it (only updatedOn carries it). */
static int recommendation_fixup(const cJSON *item, cJSON *entity, const map_ctx *mctx,
                                err_info *err)
{
    (void)item;
    (void)mctx;
    (void)err;
    cJSON_DeleteItemFromObjectCaseSensitive(entity, "lastUpdated");
    return 0;
}

const entity_spec advisor_recommendation_spec = {
    .type = "azure_advisor_recommendation",
    .classes = {"Finding"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = recommendation_props,
    .fixup = recommendation_fixup,
};

static int recommendation_links(step_ctx *ctx, const cJSON *item, const char *key, err_info *err)
{
    gov_found found;
    const char *source = json_path_string(item, "properties.resourceMetadata.source");
    if (source && gov_find(ctx, source, &found) &&
        gov_relate(ctx, "IDENTIFIED", found.key, found.type, key, "azure_advisor_recommendation",
                   "azure_assessment_identified_recommendation", err) != 0)
        return -1;
    const char *resource = json_path_string(item, "properties.resourceMetadata.resourceId");
    if (resource && gov_find(ctx, resource, &found) &&
        gov_relate(ctx, "HAS", found.key, found.type, key, "azure_advisor_recommendation",
                   "azure_resource_has_finding", err) != 0)
        return -1;
    return 0;
}

static const gov_sub_collection recommendations = {
    .spec = &advisor_recommendation_spec,
    .path_fmt = "/subscriptions/%s/providers/Microsoft.Advisor/recommendations?api-version=" ADVISOR_API,
    .after = recommendation_links,
};

static const step_def step_recommendations = {
    .id = "rm-advisor-recommendations",
    .name = "Recommendations",
    .depends_on = {"ad-account", "rm-security-assessments", STEP_DEPENDS_RM_FIRST},
    .entities = {{"[RM] Advisor Recommendation", "azure_advisor_recommendation", {"Finding"}}},
    .relationships = {{"azure_assessment_identified_recommendation", "IDENTIFIED",
                       "azure_security_assessment", "azure_advisor_recommendation"},
                      {"azure_resource_has_finding", "HAS", "ANY_SCOPE",
                       "azure_advisor_recommendation"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &recommendations,
};

const step_def *const steps_advisor[] = {&step_recommendations, NULL};

/*
 * cdn: CDN profiles and their endpoints (azure-sources part C; reference
 * graph-azure src/steps/resource-manager/cdn/).
 *
 * Profiles are listed per ingested subscription
 * (Microsoft.Cdn/profiles, api 2020-04-15), related HAS from their resource
 * group; endpoints per profile, all profiles in parallel, related HAS from
 * the profile.  Both read their diagnostic settings once stored.  Entities
 * are the SDK's model converted (convertProperties) plus the reference's
 * assignments; the profile's `kind` is not in the SDK model the reference
 * used, so it is dropped before mapping (as the reference never saw it).
 */
#include "steps/cdn.h"

#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/diagnostic_settings.h"
#include "steps/arm_list.h"

#define CDN_API "2020-04-15"

static const prop_map profile_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "infrastructure"},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec cdn_profile_spec = {
    .type = "azure_cdn_profile",
    .classes = {"Service"},
    .flags = ARML_ENTITY_FLAGS,
    .props = profile_props,
};

static const prop_map endpoint_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "data"},
    {"function", NULL, MAP_CONST_STRING_ARRAY, "content-distribution"},
    {"public", NULL, MAP_CONST_BOOL, "true"},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec cdn_endpoint_spec = {
    .type = "azure_cdn_endpoint",
    .classes = {"Gateway"},
    .flags = ARML_ENTITY_FLAGS,
    .props = endpoint_props,
};

/* The SDK's Profile model has no `kind`. */
static const char *const profile_unknown[] = {"kind", NULL};

static const arml_collection profiles = {
    .what = "CDN profiles",
    .scope = ARML_PER_SUBSCRIPTION,
    .suffix = "/providers/Microsoft.Cdn/profiles?api-version=" CDN_API,
    .spec = &cdn_profile_spec,
    .drop = profile_unknown,
    .relate_resource_group = true,
};

static const arml_collection endpoints = {
    .what = "CDN endpoints",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_cdn_profile",
    .provider = "Microsoft.Cdn/profiles",
    .suffix = "/endpoints?api-version=" CDN_API,
    .spec = &cdn_endpoint_spec,
    .relate_parent = true,
};

static int run_profiles(step_ctx *ctx, err_info *err)
{
    if (arml_list(ctx, &profiles, NULL, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_cdn_profile", NULL, err);
}

static int run_endpoints(step_ctx *ctx, err_info *err)
{
    if (arml_list(ctx, &endpoints, NULL, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_cdn_endpoint", NULL, err);
}

static const step_def step_profiles = {
    .id = "rm-cdn-profiles",
    .name = "CDN Profiles",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] CDN Profile", "azure_cdn_profile", {"Service"}}, DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("cdn_profile"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_profiles,
};

static const step_def step_endpoints = {
    .id = "rm-cdn-endpoints",
    .name = "CDN Endpoints",
    .depends_on = {"ad-account", "rm-cdn-profiles"},
    .entities = {{"[RM] CDN Endpoint", "azure_cdn_endpoint", {"Gateway"}}, DIAG_ENTITY_DECL},
    .relationships = {{"azure_cdn_profile_has_endpoint", "HAS", "azure_cdn_profile",
                       "azure_cdn_endpoint"},
                      DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_endpoints,
};

const step_def *const steps_cdn[] = {&step_profiles, &step_endpoints, NULL};

/*
 * api_management: API Management services and their APIs (azure-sources
 * part C; reference graph-azure src/steps/resource-manager/api-management/).
 *
 * Services are listed per ingested subscription
 * (Microsoft.ApiManagement/service, api 2019-12-01), related HAS from their
 * resource group and read for diagnostic settings; APIs per service, all
 * services in parallel, related HAS from the service.  The SDK model of a
 * service defaults `enableClientCertificate` to false and types
 * `createdAtUtc` as a Date (never a property); `public` is whether the
 * service has public IP addresses.
 */
#include "steps/api_management.h"

#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/diagnostic_settings.h"
#include "steps/arm_list.h"

#define APIM_API "2019-12-01"

/* The SDK model's default for an absent enableClientCertificate. */
static int bool_default_false(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                              cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    *out = cJSON_IsBool(value) ? cJSON_Duplicate(value, 0) : cJSON_CreateFalse();
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory building an API Management service");
}

static const prop_map service_props[] = {
    {"createdAtUtc", NULL, MAP_STRING},   /* a Date in the SDK model: not a property */
    {"enableClientCertificate", "properties.enableClientCertificate", MAP_FN,
     .fn = bool_default_false},
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"public", "properties.publicIPAddresses", MAP_NONEMPTY},
    {"function", NULL, MAP_CONST_STRING_ARRAY, "api-gateway"},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "application"},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec api_management_service_spec = {
    .type = "azure_api_management_service",
    .classes = {"Gateway"},
    .flags = ARML_ENTITY_FLAGS,
    .props = service_props,
};

static const prop_map api_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"address", "properties.path", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec api_management_api_spec = {
    .type = "azure_api_management_api",
    .classes = {"ApplicationEndpoint"},
    .flags = ARML_ENTITY_FLAGS,
    .props = api_props,
};

static const arml_collection services = {
    .what = "API Management services",
    .scope = ARML_PER_SUBSCRIPTION,
    .suffix = "/providers/Microsoft.ApiManagement/service?api-version=" APIM_API,
    .spec = &api_management_service_spec,
    .relate_resource_group = true,
};

static const arml_collection apis = {
    .what = "API Management APIs",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_api_management_service",
    .provider = "Microsoft.ApiManagement/service",
    .suffix = "/apis?api-version=" APIM_API,
    .spec = &api_management_api_spec,
    .relate_parent = true,
};

static int run_services(step_ctx *ctx, err_info *err)
{
    if (arml_list(ctx, &services, NULL, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_api_management_service", NULL, err);
}

static const step_def step_services = {
    .id = "rm-api-management-services",
    .name = "API Management Services",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] API Management Service", "azure_api_management_service", {"Gateway"}},
                 DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("api_management_service"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_services,
};

static const step_def step_apis = {
    .id = "rm-api-management-apis",
    .name = "API Management APIs",
    .depends_on = {"ad-account", "rm-api-management-services"},
    .entities = {{"[RM] API Management API", "azure_api_management_api", {"ApplicationEndpoint"}}},
    .relationships = {{"azure_api_management_service_has_api", "HAS",
                       "azure_api_management_service", "azure_api_management_api"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &apis,
};

const step_def *const steps_api_management[] = {&step_services, &step_apis, NULL};

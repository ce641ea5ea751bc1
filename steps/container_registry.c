/*
 * container_registry: container registries (with their diagnostic
 * settings) and registry webhooks (azure-sources README part C; reference
 * graph-azure src/steps/resource-manager/container-registry/).
 *
 * Registries are listed per subscription (registries.list), webhooks per
 * registry (webhooks.list under the registry's lower-cased resource group),
 * every registry's list in parallel.  The registries' diagnostic settings
 * are read by the shared helper once the registries are stored (the
 * reference reads them per registry as it goes; same graph).
 */
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/arm_list.h"
#include "steps/diagnostic_settings.h"
#include "steps/platform_tables.h"

#define REGISTRY_API "2019-12-01-preview"

static const prop_map registry_props[] = {
    ARML_SDK_DATE("creationDate"),
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"classification", NULL, MAP_FN, .fn = arml_map_null},
    {"encrypted", "properties.encryption.status", MAP_EQUALS, "enabled"},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec container_registry_spec = {
    .type = "azure_container_registry",
    .classes = {"DataStore"},
    .flags = ARML_ENTITY_FLAGS,
    .props = registry_props,
};

static const prop_map webhook_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"address", NULL, MAP_CONST_STRING, "NOT_RETURNED_FROM_AZURE_API"},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec container_registry_webhook_spec = {
    .type = "azure_container_registry_webhook",
    .classes = {"ApplicationEndpoint"},
    .flags = ARML_ENTITY_FLAGS,
    .props = webhook_props,
};

/* ---- the lists ----------------------------------------------------------- */

/* Not in the SDK's Registry model of @azure/arm-containerregistry 8
 * (2019-12-01-preview), which predates it; Azure returns it under that
 * api-version since 2021.  The reference's golden snapshot has every other
 * member of that model and not this one. */
static const char *const registry_unknown[] = {"properties.networkRuleBypassOptions", NULL};

static const arml_collection registries = {
    .what = "container registries",
    .scope = ARML_PER_SUBSCRIPTION,
    .suffix = "/providers/Microsoft.ContainerRegistry/registries?api-version=" REGISTRY_API,
    .spec = &container_registry_spec,
    .drop = registry_unknown,
    .relate_resource_group = true,
};

static const arml_collection webhooks = {
    .what = "container registry webhooks",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_container_registry",
    .provider = "Microsoft.ContainerRegistry/registries",
    .suffix = "/webhooks?api-version=" REGISTRY_API,
    .spec = &container_registry_webhook_spec,
    .relate_parent = true,
};

static int run_registries(step_ctx *ctx, err_info *err)
{
    int rc = arml_list(ctx, &registries, NULL, err);
    if (rc != 0 && (err->kind == ERR_NOMEM || err->kind == ERR_CANCELLED))
        return rc;
    /* Settings of what was stored, even when one subscription failed. */
    err_info derr = {0};
    if (diag_settings_for_type(ctx, container_registry_spec.type, NULL, &derr) != 0 && rc == 0) {
        *err = derr;
        rc = -1;
    }
    return rc;
}

/* ---- the step table ------------------------------------------------------ */

static const step_def step_registries = {
    .id = "rm-container-registries",
    .name = "Container Registries",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Container Registry", "azure_container_registry", {"DataStore"}},
                 DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("container_registry"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_registries,
};

static const step_def step_webhooks = {
    .id = "rm-container-registry-webhooks",
    .name = "Container Registry Webhooks",
    .depends_on = {"ad-account", "rm-container-registries"},
    .entities = {{"[RM] Container Registry Webhook", "azure_container_registry_webhook",
                  {"ApplicationEndpoint"}}},
    .relationships = {{"azure_container_registry_has_webhook", "HAS", "azure_container_registry",
                       "azure_container_registry_webhook"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &webhooks,
};

const step_def *const steps_container_registry[] = {&step_registries, &step_webhooks, NULL};

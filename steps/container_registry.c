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
#include "common/json.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/diagnostic_settings.h"
#include "steps/gov_common.h"
#include "steps/rm_platform.h"

#define REGISTRY_API "2019-12-01-preview"

static const prop_map registry_props[] = {
    RMP_SDK_DATE("creationDate"),
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"classification", NULL, MAP_FN, .fn = rmp_map_null},
    {"encrypted", "properties.encryption.status", MAP_EQUALS, "enabled"},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec container_registry_spec = {
    .type = "azure_container_registry",
    .classes = {"DataStore"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH |
             ENTITY_TAGS,
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
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH |
             ENTITY_TAGS,
    .props = webhook_props,
};

/* ---- rm-container-registries -------------------------------------------- */

/* Not in the SDK's Registry model of @azure/arm-containerregistry 8
 * (2019-12-01-preview), which predates it; Azure returns it under that
 * api-version since 2021.  The reference's golden snapshot has every other
 * member of that model and not this one. */
static const char *const registry_unknown[] = {"networkRuleBypassOptions", NULL};

static int registry_item(step_ctx *ctx, void *arg, const char *owner, const cJSON *item,
                         err_info *err)
{
    (void)arg;
    (void)owner;
    char key[1024];
    if (rmp_store_model(ctx, &container_registry_spec, item, registry_unknown, key, sizeof key,
                        err) != 0)
        return -1;
    return key[0] ? arm_relate_resource_group(ctx, key, container_registry_spec.type, err) : 0;
}

static int run_registries(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rmp_lists lists = {0};
    int rc = rmp_lists_per_subscription(
        ctx,
        "/subscriptions/%s/providers/Microsoft.ContainerRegistry/registries"
        "?api-version=" REGISTRY_API,
        &lists, err);
    if (rc == 0)
        rc = rmp_run(ctx, &lists, RMP_TOP, "container registries", NULL, registry_item, NULL, err);
    rmp_lists_free(&lists);
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

/* ---- rm-container-registry-webhooks -------------------------------------- */

static int webhooks_path(const cJSON *registry, char *out, size_t size)
{
    return rmp_child_path(registry, "Microsoft.ContainerRegistry/registries",
                          "webhooks?api-version=" REGISTRY_API, out, size);
}

static int webhook_item(step_ctx *ctx, void *arg, const char *registry_key, const cJSON *item,
                        err_info *err)
{
    (void)arg;
    char key[1024];
    if (rmp_store(ctx, &container_registry_webhook_spec, item, key, sizeof key, err) != 0)
        return -1;
    return key[0] ? gov_relate(ctx, "HAS", registry_key, container_registry_spec.type, key,
                               container_registry_webhook_spec.type, NULL, err)
                  : 0;
}

static int run_webhooks(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rmp_lists lists = {0};
    int rc = rmp_lists_per_entity(ctx, container_registry_spec.type, webhooks_path, &lists, err);
    if (rc == 0)
        rc = rmp_run(ctx, &lists, RMP_CHILD, "container registry webhooks",
                     container_registry_webhook_spec.type, webhook_item, NULL, err);
    rmp_lists_free(&lists);
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
    .run = run_webhooks,
};

const step_def *const steps_container_registry[] = {&step_registries, &step_webhooks, NULL};

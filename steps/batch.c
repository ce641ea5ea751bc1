/*
 * batch: Batch accounts and their pools, applications and certificates
 * (azure-sources part C; reference graph-azure
 * src/steps/resource-manager/batch/).
 *
 * Accounts are listed per resource-group entity (all groups in parallel,
 * api 2017-09-01), related HAS from their group and read for diagnostic
 * settings; pools, applications and certificates per account, all accounts
 * in parallel, related HAS from the account.  The reference's converters
 * link to the portal through normalizeId (a leading '/' added: the
 * applications API returns bare names as ids).  Date-typed fields of the
 * SDK model are objects to the SDK's convertProperties, so they never
 * become properties: the tables remove them (createdOn still comes from
 * creationTime by the builder's inference).
 */
#include "steps/batch.h"

#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/diagnostic_settings.h"
#include "steps/arm_list.h"

#define BATCH_API "2017-09-01"

static const prop_map account_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "infrastructure"},
    {"webLink", "id", MAP_FN, .fn = arml_map_weblink_normalized},
    {NULL},
};

const entity_spec batch_account_spec = {
    .type = "azure_batch_account",
    .classes = {"Service"},
    .flags = ARML_ENTITY_FLAGS,
    .props = account_props,
};

static const prop_map pool_props[] = {
    ARML_SDK_DATE("lastModified"),
    ARML_SDK_DATE("creationTime"),
    ARML_SDK_DATE("provisioningStateTransitionTime"),
    ARML_SDK_DATE("allocationStateTransitionTime"),
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arml_map_weblink_normalized},
    {"type", "type", MAP_STRING},
    {NULL},
};

const entity_spec batch_pool_spec = {
    .type = "azure_batch_pool",
    .classes = {"Cluster"},
    .flags = ARML_ENTITY_FLAGS,
    .props = pool_props,
};

/* api 2017-09-01 answers applications flat: {id, displayName, packages,
 * allowUpdates, defaultVersion}. */
static const prop_map application_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "displayName", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arml_map_weblink_normalized},
    {NULL},
};

const entity_spec batch_application_spec = {
    .type = "azure_batch_application",
    .classes = {"Process"},
    .flags = ARML_ENTITY_FLAGS,
    .props = application_props,
};

static const prop_map certificate_props[] = {
    ARML_SDK_DATE("provisioningStateTransitionTime"),
    ARML_SDK_DATE("previousProvisioningStateTransitionTime"),
    {"id", "id", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arml_map_weblink_normalized},
    {NULL},
};

const entity_spec batch_certificate_spec = {
    .type = "azure_batch_certificate",
    .classes = {"Certificate"},
    .flags = ARML_ENTITY_FLAGS,
    .props = certificate_props,
};

static const arml_collection accounts = {
    .what = "Batch accounts",
    .scope = ARML_PER_RESOURCE_GROUP,
    .suffix = "/providers/Microsoft.Batch/batchAccounts?api-version=" BATCH_API,
    .spec = &batch_account_spec,
    .relate_resource_group = true,
};

#define ACCOUNT_CHILDREN(var, label, child, spec_)                 \
    static const arml_collection var = {                            \
        .what = label,                                             \
        .scope = ARML_PER_ENTITY,                                 \
        .parent_type = "azure_batch_account",                      \
        .provider = "Microsoft.Batch/batchAccounts",               \
        .suffix = "/" child "?api-version=" BATCH_API,             \
        .spec = &spec_,                                            \
        .relate_parent = true,                                     \
    }
ACCOUNT_CHILDREN(pools, "Batch pools", "pools", batch_pool_spec);
ACCOUNT_CHILDREN(applications, "Batch applications", "applications", batch_application_spec);
ACCOUNT_CHILDREN(certificates, "Batch certificates", "certificates", batch_certificate_spec);

static int run_accounts(step_ctx *ctx, err_info *err)
{
    if (arml_list(ctx, &accounts, NULL, err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_batch_account", NULL, err);
}

static const step_def step_accounts = {
    .id = "rm-batch-account",
    .name = "Batch Accounts",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Batch Account", "azure_batch_account", {"Service"}}, DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("batch_account"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_accounts,
};

static const step_def step_pools = {
    .id = "rm-batch-pool",
    .name = "Batch Pools",
    .depends_on = {"ad-account", "rm-resources-resource-groups", "rm-batch-account"},
    .entities = {{"[RM] Batch Pool", "azure_batch_pool", {"Cluster"}}},
    .relationships = {{"azure_batch_account_has_pool", "HAS", "azure_batch_account",
                       "azure_batch_pool"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &pools,
};

static const step_def step_applications = {
    .id = "rm-batch-application",
    .name = "Batch Applications",
    .depends_on = {"ad-account", "rm-resources-resource-groups", "rm-batch-account"},
    .entities = {{"[RM] Batch Application", "azure_batch_application", {"Process"}}},
    .relationships = {{"azure_batch_account_has_application", "HAS", "azure_batch_account",
                       "azure_batch_application"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &applications,
};

static const step_def step_certificates = {
    .id = "rm-batch-certificate",
    .name = "Batch Certificates",
    .depends_on = {"ad-account", "rm-resources-resource-groups", "rm-batch-account"},
    .entities = {{"[RM] Batch Certificate", "azure_batch_certificate", {"Certificate"}}},
    .relationships = {{"azure_batch_account_has_certificate", "HAS", "azure_batch_account",
                       "azure_batch_certificate"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &certificates,
};

const step_def *const steps_batch[] = {&step_accounts, &step_pools, &step_applications,
                                       &step_certificates, NULL};

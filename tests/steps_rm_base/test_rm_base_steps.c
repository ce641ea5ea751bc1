/*
 * Base Resource Manager steps against the recordings, through the fake
 * Azure server (storage data plane included): subscriptions (and their
 * diagnostic settings), locations, resource groups, key vaults, storage
 * accounts (blob/queue service properties, key vault USES) and their
 * containers, file shares, queues and tables.  Each recorded case compares
 * the produced graph with expected/<step>.json exactly (derived from the
 * recordings by derive_expected.py, see gov_case.h).  Then: every readable
 * subscription ingested when none is configured (generated tenant), a 403
 * on one resource type failing only its step with the permission named, a
 * 429 with Retry-After retried, account kinds without queues/tables.
 * Seeded entities stand for other steps' output; some keys are cased
 * differently from Azure's ids to prove case-insensitive look-ups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AD_HAR "steps/active-directory/__recordings__/active-directory-steps_52759203/recording.har"
#define RM "steps/resource-manager/"
#define STORAGE RM "storage/__recordings__/"
#define EXPECTED(step) "tests/steps_rm_base/expected/" step ".json"
#define SUB_D "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
#define SUB_4 "40474ebe-55a2-4071-8fa8-b610acdd8e56"
#define SUB_8 "87f62f44-9dad-4284-a08f-f2fb3d8b528a"

#define SEED_SUB(guid)                                                                            \
    "{\"_key\":\"/subscriptions/" guid "\",\"_type\":\"azure_subscription\",\"_class\":"         \
    "[\"Account\"],\"name\":\"sub\",\"displayName\":\"sub\",\"subscriptionId\":\"" guid "\"}"

#define SEED_RG(guid, name)                                                                       \
    "{\"_key\":\"/subscriptions/" guid "/resourceGroups/" name "\",\"_type\":"                   \
    "\"azure_resource_group\",\"_class\":[\"Group\"],\"name\":\"" name "\",\"displayName\":\""    \
    name "\"}"

#define SEED_STORAGE(guid, name)                                                                  \
    "{\"_key\":\"/subscriptions/" guid "/resourceGroups/j1dev/providers/Microsoft.Storage/"      \
    "storageAccounts/" name "\",\"_type\":\"azure_storage_account\",\"_class\":[\"Service\"],"   \
    "\"name\":\"" name "\",\"displayName\":\"" name "\"}"

/* The account as rm-storage-resources stores it (the fields children read). */
#define SEED_ACCOUNT(name, kind, extra)                                                           \
    "{\"_key\":\"/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/Microsoft.Storage/"     \
    "storageAccounts/" name "\",\"_type\":\"azure_storage_account\",\"_class\":[\"Service\"],"   \
    "\"id\":\"/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/Microsoft.Storage/"        \
    "storageAccounts/" name "\",\"name\":\"" name "\",\"displayName\":\"" name "\",\"kind\":\""  \
    kind "\"" extra "}"
#define SEED_NDOWMON SEED_ACCOUNT("ndowmon1j1dev", "StorageV2", \
                                  ",\"encryptedBlob\":true,\"encryptedFileShare\":true")

static const cJSON *find_entity(const cJSON *graph, const char *key)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(graph, "entities"))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_key"));
        if (k && strcmp(k, key) == 0)
            return e;
    }
    return NULL;
}

/* A case that is only its table: run, graph compared with its expected. */
static void run_case(void **state)
{
    gov_case_run(*state, NULL, NULL, 0);
}

#define GOV_CASE_TEST(name) {#name, run_case, NULL, NULL, (void *)&name##_case}

static const gov_case test_subscriptions_case = {
    .expected = EXPECTED("rm-subscriptions"),
    .hars = {AD_HAR, RM "subscriptions/__recordings__/"
                     "resource-manager-step-resource-groups_2102244318/recording.har"},
    .subscription = SUB_4,
    /* the storage account the diagnostic setting writes to */
    .seed = {SEED_STORAGE(SUB_4, "keionnedj1dev")},
    .steps = {"ad-account", "rm-subscriptions"}
};

static const gov_case test_locations_case = {
    .expected = EXPECTED("rm-subscription-locations"),
    .hars = {AD_HAR, RM "subscriptions/__recordings__/"
                     "rm-subscription-locations_2346918759/recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_SUB(SUB_D)},
    .steps = {"ad-account", "rm-subscription-locations"}
};

static const gov_case test_resource_groups_case = {
    .expected = EXPECTED("rm-resources-resource-groups"),
    .hars = {AD_HAR, RM "resources/__recordings__/"
                     "resource-manager-step-resource-groups_2102244318/recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_SUB(SUB_D)},
    .steps = {"ad-account", "rm-resources-resource-groups"}
};

/* Without the subscription entity the groups are stored and the step fails
 * (reference MISSING_SUBSCRIPTION). */
static void test_resource_groups_missing_subscription_fails(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.hars = {AD_HAR, RM "resources/__recordings__/"
                                   "resource-manager-step-resource-groups_2102244318/recording.har"},
                  .subscription = SUB_D,
                  .steps = {"ad-account", "rm-resources-resource-groups"},
                  .failing_step = "rm-resources-resource-groups"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "/subscriptions/" SUB_D));
    assert_int_equal(gov_graph_count(out, "entities", "azure_resource_group"), 2);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_subscription_has_resource_group"),
                     0);
    cJSON_Delete(out);
}

#define KV_HAR RM "key-vault/__recordings__/resource-manager-step-key-vaults_311334852/recording.har"
#define KV_SEEDS SEED_RG(SUB_8, "J1Dev"), SEED_STORAGE(SUB_8, "keionnedj1dev")

static const gov_case test_key_vaults_case = {
    .expected = EXPECTED("rm-keyvault-vaults"),
    .hars = {AD_HAR, KV_HAR},
    .subscription = SUB_8,
    .seed = {KV_SEEDS},
    .steps = {"ad-account", "rm-keyvault-vaults"}
};

static void test_storage_accounts(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-storage-resources"),
                  .hars = {STORAGE "resource-manager-step-storage-accounts_690738595/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "j1dev")},
                  .steps = {"ad-account", "rm-keyvault-vaults", "rm-storage-resources"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    /* _rawData: the ARM object, then the data-plane service properties as
     * the storage SDK deserializes them (queue only for StorageV2). */
    const cJSON *acct = find_entity(out, "/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/"
                                         "Microsoft.Storage/storageAccounts/ndowmon1j1dev");
    assert_non_null(acct);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(acct, "_rawData");
    assert_int_equal(cJSON_GetArraySize(raw), 3);
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(raw, 0), "rawData");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(def, "networkRuleSet"));
    assert_null(cJSON_GetObjectItemCaseSensitive(def, "properties"));
    const cJSON *blob = cJSON_GetArrayItem(raw, 1);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(blob, "name")),
                        "blobServiceProperties");
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(blob, "rawData"));
    assert_string_equal(text,
                        "{\"blobAnalyticsLogging\":{\"version\":\"1.0\",\"read\":false,\"write\":"
                        "false,\"deleteProperty\":false,\"retentionPolicy\":{\"enabled\":false}},"
                        "\"hourMetrics\":{\"version\":\"1.0\",\"enabled\":true,\"includeAPIs\":true,"
                        "\"retentionPolicy\":{\"enabled\":true,\"days\":7}},\"minuteMetrics\":{"
                        "\"version\":\"1.0\",\"enabled\":true,\"includeAPIs\":true,"
                        "\"retentionPolicy\":{\"enabled\":true,\"days\":7}},\"cors\":[],"
                        "\"deleteRetentionPolicy\":{\"enabled\":true,\"days\":7},"
                        "\"staticWebsite\":{\"enabled\":false}}");
    free(text);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetArrayItem(raw, 2), "name")),
                        "queueServiceProperties");
    const cJSON *blob_only = find_entity(out, "/subscriptions/" SUB_D "/resourceGroups/j1dev/"
                                              "providers/Microsoft.Storage/storageAccounts/"
                                              "ndowmon1j1devblobstorage");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(blob_only, "_rawData")), 2);
    cJSON_Delete(out);
}

static const gov_case test_storage_containers_case = {
    .expected = EXPECTED("rm-storage-containers"),
    .hars = {AD_HAR, STORAGE "resource-manager-step-storage-containers_2223249107/"
                             "recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_NDOWMON},
    .steps = {"ad-account", "rm-storage-containers"}
};

static const gov_case test_storage_file_shares_case = {
    .expected = EXPECTED("rm-storage-file-shares"),
    .hars = {AD_HAR, STORAGE "resource-manager-step-storage-file-shares_3496468620/"
                             "recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_NDOWMON},
    .steps = {"ad-account", "rm-storage-file-shares"}
};

/* A BlobStorage account is not asked for queues (any request would be
 * unmatched and fail the case). */
static const gov_case test_storage_queues_case = {
    .expected = EXPECTED("rm-storage-queues"),
    .hars = {AD_HAR, STORAGE "resource-manager-step-storage-queues_3406153319/"
                             "recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_NDOWMON, SEED_ACCOUNT("ndowmon1j1devblobstorage", "BlobStorage", "")},
    .steps = {"ad-account", "rm-storage-queues"}
};

static const gov_case test_storage_tables_case = {
    .expected = EXPECTED("rm-storage-tables"),
    .hars = {AD_HAR, STORAGE "resource-manager-step-storage-tables_3841669886/"
                             "recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_NDOWMON, SEED_ACCOUNT("ndowmon1j1devblobstorage", "BlobStorage", "")},
    .steps = {"ad-account", "rm-storage-tables"}
};

/* Azure's 400 FeatureNotSupportedForAccount / OperationNotAllowedOnKind for
 * an account (here one whose kind claims queues and tables) means none. */
/* tagProperties ["environment"] (SDK assignTags): the tag key matches
 * case-insensitively and the value is lower-cased; an empty value is no
 * tag.  The account list is answered with one BlobStorage account of the
 * recording (its blob service properties still from the recording). */
#define TAGGED_ACCOUNT(tags)                                                                      \
    "{\"value\":[{\"sku\":{\"name\":\"Standard_LRS\"},\"kind\":\"BlobStorage\",\"id\":"            \
    "\"/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/Microsoft.Storage/"             \
    "storageAccounts/ndowmon1j1devblobstorage\",\"name\":\"ndowmon1j1devblobstorage\","        \
    "\"type\":\"Microsoft.Storage/storageAccounts\",\"location\":\"eastus\",\"tags\":" tags      \
    ",\"properties\":{\"supportsHttpsTrafficOnly\":true}}]}"

static void test_storage_environment_tag(void **state)
{
    (void)state;
    static const struct {
        const char *tags, *environment;
    } cases[] = {{"{\"Environment\":\"J1Dev\"}", "j1dev"},
                 {"{\"environment\":\"Prod\"}", "prod"},
                 {"{\"environment\":\"\"}", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body, TAGGED_ACCOUNT("%s"), cases[i].tags);
        gov_case c = {.hars = {STORAGE "resource-manager-step-storage-accounts_690738595/"
                                       "recording.har"},
                      .subscription = SUB_D,
                      .seed = {SEED_RG(SUB_D, "j1dev")},
                      .faults = {{"/providers/Microsoft.Storage/storageAccounts?", 200, body}},
                      .steps = {"ad-account", "rm-storage-resources"}};
        cJSON *out = NULL;
        gov_case_run(&c, &out, NULL, 0);
        const cJSON *acct = find_entity(out, "/subscriptions/" SUB_D "/resourceGroups/j1dev/"
                                             "providers/Microsoft.Storage/storageAccounts/"
                                             "ndowmon1j1devblobstorage");
        assert_non_null(acct);
        const cJSON *env = cJSON_GetObjectItemCaseSensitive(acct, "environment");
        if (cases[i].environment) {
            assert_true(cJSON_IsString(env));
            assert_string_equal(env->valuestring, cases[i].environment);
        } else {
            assert_null(env);
        }
        cJSON_Delete(out);
    }
}

static void test_storage_kind_without_queues_or_tables(void **state)
{
    (void)state;
    const char *steps[] = {"rm-storage-queues", "rm-storage-tables"};
    const char *hars[] = {STORAGE "iterateQueeus-unsupported-account_2975044805/recording.har",
                          STORAGE "iterateTables-unsupported-account_2123659476/recording.har"};
    for (int i = 0; i < 2; i++) {
        gov_case c = {.hars = {AD_HAR, hars[i]},
                      .subscription = SUB_D,
                      .seed = {SEED_ACCOUNT("ndowmon1j1devblobstorage", "StorageV2", "")},
                      .steps = {"ad-account", steps[i]}};
        cJSON *out = NULL;
        gov_case_run(&c, &out, NULL, 0);
        assert_int_equal(gov_graph_count(out, "entities", "azure_storage_queue") +
                             gov_graph_count(out, "entities", "azure_storage_table"),
                         0);
        cJSON_Delete(out);
    }
}

/* 403 on storage accounts fails that step only, naming the permission; the
 * key vault step after it still produces its whole graph. */
static void test_storage_403_fails_only_its_step(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.expected = EXPECTED("rm-keyvault-vaults"),
                  .hars = {AD_HAR, KV_HAR},
                  .subscription = SUB_8,
                  .seed = {KV_SEEDS},
                  .faults = {{"/providers/Microsoft.Storage/storageAccounts", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The "
                              "client does not have authorization to perform action "
                              "'Microsoft.Storage/storageAccounts/read'\"}}"}},
                  .steps = {"ad-account", "rm-storage-resources", "rm-keyvault-vaults"},
                  .failing_step = "rm-storage-resources"};
    gov_case_run(&c, NULL, error, sizeof error);
    assert_non_null(strstr(error, "Microsoft.Storage/storageAccounts"));
    assert_non_null(strstr(error, "Reader"));
}

/* 403 on the storage data plane: the account is not stored, the step fails
 * naming the data role; the other account is still stored. */
static void test_storage_data_plane_403(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.hars = {STORAGE "resource-manager-step-storage-accounts_690738595/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "j1dev")},
                  .faults = {{"/__storage/ndowmon1j1devblobstorage/blob", 403,
                              "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>"
                              "AuthorizationPermissionMismatch</Code></Error>"}},
                  .steps = {"ad-account", "rm-storage-resources"},
                  .failing_step = "rm-storage-resources"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "Storage Blob Data Reader"));
    assert_int_equal(gov_graph_count(out, "entities", "azure_storage_account"), 1);
    cJSON_Delete(out);
}

/* A service-properties answer that is not the XML document expected (here
 * truncated): that account is skipped and the step fails saying so. */
static void test_storage_data_plane_bad_xml(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.hars = {STORAGE "resource-manager-step-storage-accounts_690738595/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "j1dev")},
                  .faults = {{"/__storage/ndowmon1j1dev/queue", 200,
                              "\xEF\xBB\xBF<?xml version=\"1.0\"?><StorageServiceProperties>"
                              "<Logging><Read>true</Read>"}},
                  .steps = {"ad-account", "rm-storage-resources"},
                  .failing_step = "rm-storage-resources"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "queue service properties of storage account ndowmon1j1dev"));
    assert_non_null(strstr(error, "not a StorageServiceProperties XML document"));
    assert_int_equal(gov_graph_count(out, "entities", "azure_storage_account"), 1);
    cJSON_Delete(out);
}

/* Two 429s with Retry-After on the container list: retried, complete. */
static const gov_case test_storage_containers_429_retried_case = {
    .expected = EXPECTED("rm-storage-containers"),
    .hars = {AD_HAR, STORAGE "resource-manager-step-storage-containers_2223249107/"
                             "recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_NDOWMON},
    .faults = {{"/blobServices/default/containers", 429,
                "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"The "
                "request is being throttled\"}}",
                2, "1"}},
    .steps = {"ad-account", "rm-storage-containers"}
};

/* A role assignment answered with fields the reference's SDK model
 * (2018-09-01-preview) does not know (newer Azure answers carry
 * description, condition, ...): they appear neither as properties nor in
 * _rawData (part A §2.4 "model fields only"). */
#define RA_ID "/subscriptions/" SUB_D "/providers/Microsoft.Authorization/roleAssignments/ra-1"
static void test_role_assignment_model_fields_only(void **state)
{
    (void)state;
    gov_case c = {
        .hars = {AD_HAR, RM "authorization/__recordings__/"
                         "iterateRoleAssignments_3257374565/recording.har"},
        .subscription = SUB_D,
        .faults = {{"/providers/Microsoft.Authorization/roleAssignments", 200,
                    "{\"value\":[{\"properties\":{\"roleDefinitionId\":\"/subscriptions/" SUB_D
                    "/providers/Microsoft.Authorization/roleDefinitions/rd-1\",\"principalId\":"
                    "\"p-1\",\"principalType\":\"User\",\"scope\":\"/subscriptions/" SUB_D "\","
                    "\"condition\":\"@Resource[x] StringEquals 'y'\",\"conditionVersion\":"
                    "\"2.0\",\"description\":\"break-glass access\","
                    "\"delegatedManagedIdentityResourceId\":null,\"createdOn\":"
                    "\"2023-01-01T00:00:00Z\",\"createdBy\":\"u-1\"},\"id\":\"" RA_ID "\","
                    "\"type\":\"Microsoft.Authorization/roleAssignments\",\"name\":\"ra-1\"}]}"}},
        .steps = {"ad-account", "rm-authorization-role-assignments"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    const cJSON *ra = find_entity(out, RA_ID);
    assert_non_null(ra);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ra, "principalId")),
                        "p-1");
    /* _rawData holds the SDK object (properties hoisted) */
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ra, "_rawData"), 0), "rawData");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(raw, "principalId")),
                        "p-1");
    static const char *const unknown[] = {"description", "condition", "conditionVersion",
                                          "delegatedManagedIdentityResourceId", "createdOn",
                                          "createdBy"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_null(cJSON_GetObjectItemCaseSensitive(ra, unknown[i]));
        assert_null(cJSON_GetObjectItemCaseSensitive(raw, unknown[i]));
    }
    cJSON_Delete(out);
}

/* No subscription configured: every readable subscription is ingested. */
static void test_all_subscriptions(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 2, .resources = 3};
    /* the generated tenant serves no diagnostic settings */
    gov_case c = {.tenant = &t,
                  .faults = {{"/diagnosticSettings", 200, "{\"value\":[]}"}},
                  .steps = {"ad-account", "rm-subscriptions", "rm-subscription-locations",
                            "rm-resources-resource-groups", "rm-keyvault-vaults",
                            "rm-storage-resources"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_subscription"), 2);
    assert_int_equal(gov_graph_count(out, "entities", "azure_location"), 6);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_subscription_uses_location"), 6);
    assert_int_equal(gov_graph_count(out, "entities", "azure_resource_group"), 4);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_subscription_has_resource_group"),
                     4);
    assert_int_equal(gov_graph_count(out, "entities", "azure_keyvault_service"), 6);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_account_has_keyvault_service"), 6);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_resource_group_has_keyvault_service"), 6);
    assert_int_equal(gov_graph_count(out, "entities", "azure_storage_account"), 6);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_resource_group_has_storage_account"), 6);
    const cJSON *e;
    int checked = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type"));
        if (strcmp(type, "azure_storage_account") != 0)
            continue;
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "blobSoftDeleteEnabled")));
        assert_int_equal(
            cJSON_GetObjectItemCaseSensitive(e, "blobSoftDeleteRetentionDays")->valueint, 7);
        assert_true(
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "blobAnalyticsLoggingReadEnabled")));
        assert_true(cJSON_IsFalse(
            cJSON_GetObjectItemCaseSensitive(e, "blobAnalyticsLoggingDeleteEnabled")));
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "encryptedBlob")));
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                e, "networkRuleSetDefaultAction")),
                            "Allow");
        checked++;
    }
    assert_int_equal(checked, 6);
    cJSON_Delete(out);
}

/* The children of generated accounts (one of each per account; every 4th
 * account is BlobStorage: no queues or tables, no queue service call). */
static void test_generated_storage_children(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 2, .resources = 8};
    gov_case c = {.tenant = &t,
                  .steps = {"ad-account", "rm-storage-resources", "rm-storage-containers",
                            "rm-storage-file-shares", "rm-storage-queues", "rm-storage-tables"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_storage_account"), 16);
    static const struct {
        const char *entity, *relationship;
        int count;
    } kinds[] = {{"azure_storage_container", "azure_storage_account_has_container", 16},
                 {"azure_storage_file_share", "azure_storage_account_has_file_share", 16},
                 {"azure_storage_queue", "azure_storage_account_has_queue", 12},
                 {"azure_storage_table", "azure_storage_account_has_table", 12}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        assert_int_equal(gov_graph_count(out, "entities", kinds[i].entity), kinds[i].count);
        assert_int_equal(gov_graph_count(out, "relationships", kinds[i].relationship),
                         kinds[i].count);
    }
    int queue_props = 0, public_containers = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type"));
        if (strcmp(type, "azure_storage_account") == 0)
            queue_props += cJSON_IsTrue(
                cJSON_GetObjectItemCaseSensitive(e, "queueAnalyticsLoggingReadEnabled"));
        if (strcmp(type, "azure_storage_container") == 0) {
            public_containers += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "public"));
            assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "encrypted")));
            assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "classification")));
        }
        if (strcmp(type, "azure_storage_table") == 0)
            assert_string_equal(
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "tableName")),
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name")));
    }
    assert_int_equal(queue_props, 12);
    assert_int_equal(public_containers, 6);
    cJSON_Delete(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        GOV_CASE_TEST(test_subscriptions),
        GOV_CASE_TEST(test_locations),
        GOV_CASE_TEST(test_resource_groups),
        cmocka_unit_test(test_resource_groups_missing_subscription_fails),
        GOV_CASE_TEST(test_key_vaults),
        cmocka_unit_test(test_storage_accounts),
        GOV_CASE_TEST(test_storage_containers),
        GOV_CASE_TEST(test_storage_file_shares),
        GOV_CASE_TEST(test_storage_queues),
        GOV_CASE_TEST(test_storage_tables),
        cmocka_unit_test(test_storage_environment_tag),
        cmocka_unit_test(test_storage_kind_without_queues_or_tables),
        cmocka_unit_test(test_storage_403_fails_only_its_step),
        cmocka_unit_test(test_storage_data_plane_403),
        cmocka_unit_test(test_storage_data_plane_bad_xml),
        GOV_CASE_TEST(test_storage_containers_429_retried),
        cmocka_unit_test(test_role_assignment_model_fields_only),
        cmocka_unit_test(test_all_subscriptions),
        cmocka_unit_test(test_generated_storage_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

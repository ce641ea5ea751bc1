/*
 * CDN, Batch, API Management and Event Grid steps (steps/cdn.c, batch.c,
 * api_management.c, event_grid.c):
 *   - the step tables against the reference's index.ts / constants.ts
 *     (ids, names, dependsOn, declared entity and relationship types) and
 *     Event Grid's place at the end of the registry;
 *   - each entity table against the reference's golden snapshot
 *     (converters.test.ts.snap converted by snap_to_json.py): the snapshot's
 *     SDK object, put back into the shape Azure answers, must map to the
 *     snapshot entity exactly (_rawData aside: ours is the answer, the
 *     snapshot's the SDK model);
 *   - each step against its recordings through the fake Azure server
 *     (gov_case runner; expected/<step>.json derived by derive_expected.py
 *     from the recordings, independently of this code), parents produced
 *     by running the parent step in the same case;
 *   - faults, the unified policy of steps/arm_list.h: a 403 on a top-level
 *     list fails the step with the role to grant; an unregistered provider
 *     (MissingSubscriptionRegistration) or a region that does not offer the
 *     type (LocationNotAvailableForResourceType) is an empty list; any other
 *     answered error of one resource group's list fails the step once the
 *     other groups' items are stored; a 403 on one parent's child list skips
 *     that parent; throttling on a child list fails the step, the other
 *     parents' items kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include "common/json.h"
#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/api_management.h"
#include "steps/arm_list.h"
#include "steps/azure_job.h"
#include "steps/batch.h"
#include "steps/cdn.h"
#include "steps/event_grid.h"
#include "steps/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AD_HAR "steps/active-directory/__recordings__/active-directory-steps_52759203/recording.har"
#define REC(folder, name) "steps/resource-manager/" folder "/__recordings__/" name "/recording.har"
#define EXPECTED(step) "tests/steps_rm_services/expected/" step ".json"
#define SUB "87f62f44-9dad-4284-a08f-f2fb3d8b528a"

#define CDN_PROFILES REC("cdn", "resource-manager-step-cdn-profiles_2065488323")
#define CDN_ENDPOINTS REC("cdn", "resource-manager-step-cdn-endpoints_3672320481")
#define BATCH_ACCOUNTS REC("batch", "resource-manager-step-batch-accounts_1786796716")
#define BATCH_POOLS REC("batch", "resource-manager-step-batch-pools_2021074335")
#define BATCH_APPS REC("batch", "resource-manager-step-batch-applications_2822445119")
#define BATCH_CERTS REC("batch", "resource-manager-step-batch-certificates_694013396")
#define APIM_SERVICES REC("api-management", "resource-manager-step-api-management-services_1373891418")
#define APIM_APIS REC("api-management", "resource-manager-step-api-management-apis_837383619")
#define EG_DOMAINS REC("event-grid", "resource-manager-step-event-grid-domains_2490659508")
#define EG_DOMAIN_TOPICS REC("event-grid", "resource-manager-step-event-grid-domain-topics_972963110")
#define EG_DOMAIN_TOPIC_SUBS \
    REC("event-grid", "resource-manager-step-event-grid-domain-topic-subscriptions_1953692490")
#define EG_TOPICS REC("event-grid", "resource-manager-step-event-grid-topics_2972238543")
#define EG_TOPIC_SUBS REC("event-grid", "resource-manager-step-event-grid-topic-subscriptions_1748134953")

/* What rm-resources-resource-groups and rm-storage-resources would have
 * stored.  Azure names the group "resourcegroups" in some ids (CDN): found
 * case-insensitively. */
#define SEED_RG(name)                                                                             \
    "{\"_key\":\"/subscriptions/" SUB "/resourceGroups/" name "\",\"_type\":"                     \
    "\"azure_resource_group\",\"_class\":[\"Group\"],\"name\":\"" name "\",\"displayName\":\""    \
    name "\",\"id\":\"/subscriptions/" SUB "/resourceGroups/" name "\"}"
#define SEED_STORAGE                                                                              \
    "{\"_key\":\"/subscriptions/" SUB "/resourceGroups/j1dev/providers/Microsoft.Storage/"        \
    "storageAccounts/keionnedj1dev\",\"_type\":\"azure_storage_account\",\"_class\":"             \
    "[\"Service\"],\"name\":\"keionnedj1dev\",\"displayName\":\"keionnedj1dev\"}"

/* ---- the step tables --------------------------------------------------- */

typedef struct ref_step {
    const char *id, *name;
    const char *deps[5];
    const char *entities[3];        /* _type */
    const char *relationships[4];   /* _type */
} ref_step;

#define DIAG_E "azure_diagnostic_setting"
#define DIAG_R "azure_diagnostic_setting_uses_storage_account", "azure_resource_has_diagnostic_setting"

static const ref_step reference[] = {
    {"rm-cdn-profiles", "CDN Profiles", {"ad-account", "rm-resources-resource-groups"},
     {"azure_cdn_profile", DIAG_E}, {"azure_resource_group_has_cdn_profile", DIAG_R}},
    {"rm-cdn-endpoints", "CDN Endpoints", {"ad-account", "rm-cdn-profiles"},
     {"azure_cdn_endpoint", DIAG_E}, {"azure_cdn_profile_has_endpoint", DIAG_R}},
    {"rm-batch-account", "Batch Accounts", {"ad-account", "rm-resources-resource-groups"},
     {"azure_batch_account", DIAG_E}, {"azure_resource_group_has_batch_account", DIAG_R}},
    {"rm-batch-pool", "Batch Pools",
     {"ad-account", "rm-resources-resource-groups", "rm-batch-account"},
     {"azure_batch_pool"}, {"azure_batch_account_has_pool"}},
    {"rm-batch-application", "Batch Applications",
     {"ad-account", "rm-resources-resource-groups", "rm-batch-account"},
     {"azure_batch_application"}, {"azure_batch_account_has_application"}},
    {"rm-batch-certificate", "Batch Certificates",
     {"ad-account", "rm-resources-resource-groups", "rm-batch-account"},
     {"azure_batch_certificate"}, {"azure_batch_account_has_certificate"}},
    {"rm-api-management-services", "API Management Services",
     {"ad-account", "rm-resources-resource-groups"},
     {"azure_api_management_service", DIAG_E},
     {"azure_resource_group_has_api_management_service", DIAG_R}},
    {"rm-api-management-apis", "API Management APIs", {"ad-account", "rm-api-management-services"},
     {"azure_api_management_api"}, {"azure_api_management_service_has_api"}},
    {"rm-event-grid-domains", "Event Grid Domains", {"ad-account", "rm-resources-resource-groups"},
     {"azure_event_grid_domain", DIAG_E}, {"azure_resource_group_has_event_grid_domain", DIAG_R}},
    {"rm-event-grid-domain-topics", "Event Grid Domain Topics",
     {"ad-account", "rm-resources-resource-groups", "rm-event-grid-domains"},
     {"azure_event_grid_domain_topic"}, {"azure_event_grid_domain_has_topic"}},
    {"rm-event-grid-domain-topic-subscriptions", "Event Grid Domain Topic Subscriptions",
     {"ad-account", "rm-resources-resource-groups", "rm-event-grid-domains",
      "rm-event-grid-domain-topics"},
     {"azure_event_grid_topic_subscription"},
     {"azure_event_grid_domain_topic_has_topic_subscription"}},
    {"rm-event-grid-topics", "Event Grid Topics", {"ad-account", "rm-resources-resource-groups"},
     {"azure_event_grid_topic", DIAG_E}, {"azure_resource_group_has_event_grid_topic", DIAG_R}},
    {"rm-event-grid-topic-subscriptions", "Event Grid Topic Subscriptions",
     {"ad-account", "rm-resources-resource-groups", "rm-event-grid-topics"},
     {"azure_event_grid_topic_subscription"}, {"azure_event_grid_topic_has_subscription"}},
};

static void test_step_tables_follow_reference(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof reference / sizeof reference[0]; i++) {
        const ref_step *r = &reference[i];
        const step_def *s = registry_find(r->id);
        if (!s)
            fail_msg("step %s is not in the registry", r->id);
        assert_string_equal(s->name, r->name);
        assert_int_equal(s->enabled_when, STEP_IF_RESOURCE_MANAGER);
        size_t n = 0;
        for (; n < 5 && r->deps[n]; n++) {
            assert_non_null(s->depends_on[n]);
            assert_string_equal(s->depends_on[n], r->deps[n]);
        }
        assert_null(s->depends_on[n]);
        for (n = 0; n < 3 && r->entities[n]; n++) {
            assert_non_null(s->entities[n].type);
            assert_string_equal(s->entities[n].type, r->entities[n]);
        }
        assert_null(s->entities[n].type);
        for (n = 0; n < 4 && r->relationships[n]; n++) {
            assert_non_null(s->relationships[n].type);
            assert_string_equal(s->relationships[n].type, r->relationships[n]);
        }
        assert_null(s->relationships[n].type);
        assert_null(s->mapped_relationships[0].type);
    }
}

/* Event Grid is the last service of the table (src/index.ts): every other
 * Resource Manager step of the first group comes before it. */
static void test_event_grid_runs_last(void **state)
{
    (void)state;
    size_t count = 0;
    const step_def *const *table = registry_steps(&count);
    size_t first_eg = count;
    for (size_t i = 0; i < count; i++)
        if (strncmp(table[i]->id, "rm-event-grid-", 14) == 0 && first_eg == count)
            first_eg = i;
    assert_true(first_eg < count);
    assert_int_equal(count - first_eg, 5);
    for (size_t i = first_eg; i < count; i++)
        assert_int_equal(strncmp(table[i]->id, "rm-event-grid-", 14), 0);
}

/* ---- golden snapshots --------------------------------------------------- */

static cJSON *read_json(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", AI_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    assert_non_null(j);
    return j;
}

/* The ARM answer an SDK object came from: resource envelope fields stay,
 * the rest goes back under `properties` (what the SDK flattened). */
static cJSON *arm_shape(const cJSON *sdk_object)
{
    static const char *const envelope[] = {"id",   "name", "type",     "location", "tags", "etag",
                                           "sku",  "kind", "identity", "systemData", NULL};
    cJSON *item = cJSON_CreateObject();
    cJSON *props = cJSON_CreateObject();
    const cJSON *m;
    cJSON_ArrayForEach(m, sdk_object)
    {
        bool top = false;
        for (size_t i = 0; envelope[i]; i++)
            top |= strcmp(m->string, envelope[i]) == 0;
        cJSON_AddItemToObject(top ? item : props, m->string, cJSON_Duplicate(m, 1));
    }
    cJSON_AddItemToObject(item, "properties", props);
    return item;
}

typedef struct golden_case {
    const char *file;      /* golden/<folder>.json */
    const char *snapshot;  /* the snapshot's name */
    const entity_spec *spec;
    bool flat;             /* the API answers this type flat (batch applications) */
} golden_case;

static const golden_case goldens[] = {
    {"cdn", "createContainerRegistryEntity properties transferred 1", &cdn_profile_spec},
    {"cdn", "createContainerRegistryWebhookEntity properties transferred 1", &cdn_endpoint_spec},
    {"batch", "createBatchAccountEntity properties transferred 1", &batch_account_spec},
    {"batch", "createBatchApplicationEntity properties transferred 1", &batch_application_spec,
     true},
    {"batch", "createBatchCertificateEntity properties transferred 1", &batch_certificate_spec},
    {"batch", "createBatchPoolEntity properties transferred 1", &batch_pool_spec},
    {"event-grid", "createEventGridDomainEntity properties transferred 1", &event_grid_domain_spec},
    {"event-grid", "createEventGridDomainTopicEntity properties transferred 1",
     &event_grid_domain_topic_spec},
    {"event-grid", "createEventGridDomainTopicSubscriptionEntity properties transferred 1",
     &event_grid_subscription_spec},
    {"event-grid", "createEventGridTopicEntity properties transferred 1", &event_grid_topic_spec},
    {"event-grid", "createEventGridTopicSubscriptionEntity properties transferred 1",
     &event_grid_subscription_spec},
};

/* An azure_job only for its default domain (the snapshots' webLinks). */
static azure_job *snapshot_job(void)
{
    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "http://127.0.0.1:9");
    snprintf(ep.graph, sizeof ep.graph, "http://127.0.0.1:9");
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "http://127.0.0.1:9");
    snprintf(ep.storage_suffix, sizeof ep.storage_suffix, "core.windows.net");
    cJSON *config = cJSON_Parse("{\"clientId\":\"c\",\"clientSecret\":\"s\",\"directoryId\":"
                                "\"992d7bbe-b367-459c-a10f-cf3fd16103ab\",\"subscriptionId\":\"" SUB
                                "\"}");
    azure_instance_info inst = {.instance_id = "i", .instance_name = "n", .account_id = "a"};
    azure_job *job = NULL;
    err_info err = {0};
    if (azure_job_new(config, &inst, &ep, &job, &err) != 0)
        fail_msg("azure_job_new: %s", err.message);
    cJSON_Delete(config);
    azure_job_set_default_domain(job, "something.onmicrosoft.com");
    return job;
}

static void test_entities_match_golden_snapshots(void **state)
{
    (void)state;
    azure_job *job = snapshot_job();
    map_ctx mctx = {.integration = job};
    for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
        const golden_case *g = &goldens[i];
        char rel[256];
        snprintf(rel, sizeof rel, "tests/steps_rm_services/golden/%s.json", g->file);
        cJSON *file = read_json(rel);
        cJSON *want = cJSON_DetachItemFromObjectCaseSensitive(file, g->snapshot);
        if (!want)
            fail_msg("snapshot %s missing in %s", g->snapshot, rel);
        const cJSON *sdk_object = json_path(cJSON_GetArrayItem(json_get(want, "_rawData"), 0),
                                            "rawData");
        assert_non_null(sdk_object);
        cJSON *item = g->flat ? cJSON_Duplicate(sdk_object, 1) : arm_shape(sdk_object);
        cJSON *got = NULL;
        err_info err = {0};
        if (entity_map_build(g->spec, item, &mctx, &got, &err) != 0)
            fail_msg("%s: %s", g->snapshot, err.message);
        assert_string_equal(
            json_get_string(cJSON_GetArrayItem(json_get(got, "_rawData"), 0), "name"), "default");
        cJSON_DeleteItemFromObjectCaseSensitive(got, "_rawData");
        cJSON_DeleteItemFromObjectCaseSensitive(want, "_rawData");
        if (!cJSON_Compare(want, got, 1)) {
            char *a = cJSON_Print(got), *b = cJSON_Print(want);
            fprintf(stderr, "%s\ngot:\n%s\nwant:\n%s\n", g->snapshot, a, b);
            free(a);
            free(b);
            fail_msg("%s differs from the golden snapshot", g->snapshot);
        }
        cJSON_Delete(got);
        cJSON_Delete(item);
        cJSON_Delete(want);
        cJSON_Delete(file);
    }
    azure_job_free(job);
}

/* ---- the steps against their recordings --------------------------------- */

#define CASE(fn, expected_step, ...)                                                  \
    static void fn(void **state)                                                      \
    {                                                                                 \
        (void)state;                                                                  \
        gov_case c = {.expected = EXPECTED(expected_step),                            \
                      .subscription = SUB,                                            \
                      .seed = {SEED_RG("j1dev"), SEED_STORAGE},                       \
                      __VA_ARGS__};                                                   \
        gov_case_run(&c, NULL, NULL, 0);                                              \
    }

CASE(test_cdn_profiles, "rm-cdn-profiles", .hars = {AD_HAR, CDN_PROFILES},
     .steps = {"ad-account", "rm-cdn-profiles"})
CASE(test_cdn_endpoints, "rm-cdn-endpoints", .hars = {AD_HAR, CDN_PROFILES, CDN_ENDPOINTS},
     .steps = {"ad-account", "rm-cdn-profiles", "rm-cdn-endpoints"})
CASE(test_batch_accounts, "rm-batch-account", .hars = {AD_HAR, BATCH_ACCOUNTS},
     .steps = {"ad-account", "rm-batch-account"})
CASE(test_batch_pools, "rm-batch-pool", .hars = {AD_HAR, BATCH_ACCOUNTS, BATCH_POOLS},
     .steps = {"ad-account", "rm-batch-account", "rm-batch-pool"})
CASE(test_batch_applications, "rm-batch-application",
     .hars = {AD_HAR, BATCH_ACCOUNTS, BATCH_APPS},
     .steps = {"ad-account", "rm-batch-account", "rm-batch-application"})
CASE(test_batch_certificates, "rm-batch-certificate",
     .hars = {AD_HAR, BATCH_ACCOUNTS, BATCH_CERTS},
     .steps = {"ad-account", "rm-batch-account", "rm-batch-certificate"})
CASE(test_api_management_services, "rm-api-management-services",
     .hars = {AD_HAR, APIM_SERVICES}, .steps = {"ad-account", "rm-api-management-services"})
CASE(test_api_management_apis, "rm-api-management-apis",
     .hars = {AD_HAR, APIM_SERVICES, APIM_APIS},
     .steps = {"ad-account", "rm-api-management-services", "rm-api-management-apis"})
CASE(test_event_grid_domains, "rm-event-grid-domains", .hars = {AD_HAR, EG_DOMAINS},
     .steps = {"ad-account", "rm-event-grid-domains"})
CASE(test_event_grid_domain_topics, "rm-event-grid-domain-topics",
     .hars = {AD_HAR, EG_DOMAINS, EG_DOMAIN_TOPICS},
     .steps = {"ad-account", "rm-event-grid-domains", "rm-event-grid-domain-topics"})
CASE(test_event_grid_domain_topic_subscriptions, "rm-event-grid-domain-topic-subscriptions",
     .hars = {AD_HAR, EG_DOMAINS, EG_DOMAIN_TOPICS, EG_DOMAIN_TOPIC_SUBS},
     .steps = {"ad-account", "rm-event-grid-domains", "rm-event-grid-domain-topics",
               "rm-event-grid-domain-topic-subscriptions"})
CASE(test_event_grid_topics, "rm-event-grid-topics", .hars = {AD_HAR, EG_TOPICS},
     .steps = {"ad-account", "rm-event-grid-topics"})
CASE(test_event_grid_topic_subscriptions, "rm-event-grid-topic-subscriptions",
     .hars = {AD_HAR, EG_TOPICS, EG_TOPIC_SUBS},
     .steps = {"ad-account", "rm-event-grid-topics", "rm-event-grid-topic-subscriptions"})

/* ---- faults --------------------------------------------------------------- */

static void test_profiles_403_fails_step_with_role(void **state)
{
    (void)state;
    char error[768] = "";
    gov_case c = {.hars = {AD_HAR, CDN_PROFILES},
                  .subscription = SUB,
                  .seed = {SEED_RG("j1dev"), SEED_STORAGE},
                  .faults = {{"/providers/Microsoft.Cdn/profiles?", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The "
                              "client does not have authorization to perform action "
                              "'Microsoft.Cdn/profiles/read'\"}}"}},
                  .steps = {"ad-account", "rm-cdn-profiles"},
                  .failing_step = "rm-cdn-profiles"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "CDN profiles"));
    assert_non_null(strstr(error, "AuthorizationFailed"));
    assert_non_null(strstr(error, "Reader"));
    assert_int_equal(gov_graph_count(out, "entities", "azure_cdn_profile"), 0);
    cJSON_Delete(out);
}

/* A provider the subscription never registered: nothing to ingest, the step
 * succeeds (and the steps under it find no parents). */
static void test_unregistered_provider_is_empty(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR, BATCH_ACCOUNTS},
                  .subscription = SUB,
                  .seed = {SEED_RG("j1dev"), SEED_STORAGE},
                  .faults = {{"/providers/Microsoft.Batch/batchAccounts?", 409,
                              "{\"error\":{\"code\":\"MissingSubscriptionRegistration\","
                              "\"message\":\"The subscription is not registered to use namespace "
                              "'Microsoft.Batch'.\"}}"}},
                  .steps = {"ad-account", "rm-batch-account", "rm-batch-pool"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_batch_account"), 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_batch_pool"), 0);
    cJSON_Delete(out);
}

/* A resource group in a region where Event Grid topics are not offered:
 * that group's list is empty (nothing to ingest there; before
 * steps/arm_list it was skipped and the type marked partial), the other
 * group's topics (and their diagnostic settings) are ingested exactly as
 * without it, and the step succeeds. */
static void test_region_error_skips_one_group(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-event-grid-topics"),
                  .hars = {AD_HAR, EG_TOPICS},
                  .subscription = SUB,
                  .seed = {SEED_RG("j1dev"), SEED_RG("j1west"), SEED_STORAGE},
                  .faults = {{"/resourceGroups/j1west/providers/Microsoft.EventGrid/topics", 400,
                              "{\"error\":{\"code\":\"LocationNotAvailableForResourceType\","
                              "\"message\":\"The provided location 'westus3' is not available "
                              "for resource type 'Microsoft.EventGrid/topics'.\"}}"}},
                  .steps = {"ad-account", "rm-event-grid-topics"}};
    gov_case_run(&c, NULL, NULL, 0);
}

/* Any other answered error of one top-level list (here one resource
 * group's): the step fails naming the collection and the group, once the
 * other group's topics are stored.  (Before steps/arm_list, rm_services
 * skipped the group and the step succeeded.) */
static void test_top_level_error_fails_after_other_groups(void **state)
{
    (void)state;
    char error[768] = "";
    gov_case c = {.hars = {AD_HAR, EG_TOPICS},
                  .subscription = SUB,
                  .seed = {SEED_RG("j1dev"), SEED_RG("j1west"), SEED_STORAGE},
                  .faults = {{"/resourceGroups/j1west/providers/Microsoft.EventGrid/topics", 400,
                              "{\"error\":{\"code\":\"BadRequest\",\"message\":\"The request "
                              "is not valid.\"}}"}},
                  .steps = {"ad-account", "rm-event-grid-topics"},
                  .failing_step = "rm-event-grid-topics"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "Event Grid topics"));
    assert_non_null(strstr(error, "j1west"));
    assert_non_null(strstr(error, "BadRequest"));
    assert_int_equal(gov_graph_count(out, "entities", "azure_event_grid_topic"), 1);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_resource_group_has_event_grid_topic"), 1);
    cJSON_Delete(out);
}

#define LOCKED_PROFILE                                                                            \
    "{\"_key\":\"/subscriptions/" SUB "/resourceGroups/j1dev/providers/Microsoft.Cdn/profiles/"     \
    "locked\",\"_type\":\"azure_cdn_profile\",\"_class\":[\"Service\"],\"id\":\"/subscriptions/"  \
    SUB "/resourceGroups/j1dev/providers/Microsoft.Cdn/profiles/locked\",\"name\":\"locked\","      \
    "\"displayName\":\"locked\"}"
/* rm-cdn-profiles reads the seeded profile's diagnostic settings: none. */
#define LOCKED_NO_DIAG                                                                            \
    {"/profiles/locked/providers/microsoft.insights/diagnosticSettings", 404,                     \
     "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"none\"}}"}

/* A 403 on one profile's endpoints: that profile is skipped (its type
 * reported partial), the step succeeds with the other profile's endpoints
 * exactly as without it.  (Before steps/arm_list, rm_services failed the
 * step on any 403.) */
static void test_child_403_skips_that_parent(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-cdn-endpoints"),
                  .hars = {AD_HAR, CDN_PROFILES, CDN_ENDPOINTS},
                  .subscription = SUB,
                  .seed = {SEED_RG("j1dev"), SEED_STORAGE, LOCKED_PROFILE},
                  .faults = {LOCKED_NO_DIAG,
                             {"/profiles/locked/endpoints", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}"}},
                  .steps = {"ad-account", "rm-cdn-profiles", "rm-cdn-endpoints"}};
    gov_case_run(&c, NULL, NULL, 0);
}

/* Throttling that outlasts the client's retries on one profile's endpoints
 * fails the step; the other profile's endpoints are stored all the same. */
static void test_child_throttling_fails_step(void **state)
{
    (void)state;
    char error[768] = "";
    gov_case c = {.hars = {AD_HAR, CDN_PROFILES, CDN_ENDPOINTS},
                  .subscription = SUB,
                  .seed = {SEED_RG("j1dev"), SEED_STORAGE, LOCKED_PROFILE},
                  .faults = {LOCKED_NO_DIAG,
                             {"/profiles/locked/endpoints", 429,
                              "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow "
                              "down\"}}",
                              0, "0"}},
                  .steps = {"ad-account", "rm-cdn-profiles", "rm-cdn-endpoints"},
                  .failing_step = "rm-cdn-endpoints"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "CDN endpoints"));
    assert_non_null(strstr(error, "locked"));
    assert_int_equal(gov_graph_count(out, "entities", "azure_cdn_endpoint"), 1);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_cdn_profile_has_endpoint"), 1);
    cJSON_Delete(out);
}

/* ---- arm_list helpers -------------------------------------------------------- */

static void test_arml_error_is_absent(void **state)
{
    (void)state;
    static const struct {
        err_kind kind;
        const char *message;
        bool absent;
    } cases[] = {
        {ERR_UPSTREAM, "409 MissingSubscriptionRegistration for Microsoft.Batch", true},
        {ERR_INVALID, "400 LocationNotAvailableForResourceType: westus3", true},
        {ERR_NOT_FOUND, "404 NoRegisteredProviderFound for api-version", true},
        {ERR_FORBIDDEN, "403 SubscriptionNotRegistered", true},   /* whatever the status */
        {ERR_FORBIDDEN, "403 AuthorizationFailed", false},
        {ERR_NOT_FOUND, "404 SubscriptionNotFound", false},
        {ERR_THROTTLED, "429 MissingSubscriptionRegistration", false},   /* fatal kinds never */
        {ERR_NOMEM, "out of memory", false},
        {ERR_NONE, "", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err_info e = {.kind = cases[i].kind};
        snprintf(e.message, sizeof e.message, "%s", cases[i].message);
        if (arml_error_is_absent(&e) != cases[i].absent)
            fail_msg("arml_error_is_absent(%s) != %d", cases[i].message, cases[i].absent);
    }
}

static void test_arml_paths(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(arml_group_prefix("/subscriptions/s1/resourceGroups/My Group/providers/"
                                       "Microsoft.Cdn/profiles/p",
                                       out, sizeof out),
                     0);
    assert_string_equal(out, "/subscriptions/s1/resourceGroups/my%20group");
    assert_int_equal(arml_group_prefix("/subscriptions/s1", out, sizeof out), -1);
    assert_int_equal(arml_group_prefix(NULL, out, sizeof out), -1);
    assert_int_equal(arml_group_prefix("/subscriptions/s1/resourceGroups/g", out, 10), -1);
    assert_int_equal(arml_segment("a/b?c", out, sizeof out), 0);
    assert_string_equal(out, "a%2Fb%3Fc");
    assert_int_equal(arml_segment("abcdef", out, 6), -1);

    err_info err = {0};
    cJSON *v = cJSON_CreateString("Microsoft.Network/dnszones/A"), *got = NULL;
    assert_int_equal(arml_strip_first(v, "Microsoft.Network/dnszones/", &got, &err), 0);
    assert_string_equal(got->valuestring, "A");
    cJSON_Delete(got);
    cJSON_Delete(v);
    v = cJSON_CreateNumber(1);
    assert_int_equal(arml_strip_first(v, "x", &got, &err), 0);
    assert_null(got);
    cJSON_Delete(v);
}

/* ---- a generated tenant ---------------------------------------------------- */

/* Every collection listed under many parents at once (2 subscriptions x 3
 * resource groups, 40 resources of each type per subscription, child
 * collections one item per parent: tests/fakes/fake_azure_gen_types.c).
 * The tenant has no diagnostic settings (answered 404 = none). */
static void test_generated_tenant(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 3, .resources = 40};
    gov_case c = {.tenant = &t,
                  .faults = {{"/providers/microsoft.insights/diagnosticSettings", 404,
                              "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":"
                              "\"none\"}}"}},
                  .steps = {"ad-account", "rm-subscriptions", "rm-resources-resource-groups",
                            "rm-cdn-profiles", "rm-cdn-endpoints", "rm-batch-account",
                            "rm-batch-pool", "rm-api-management-services"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_resource_group"), 6);
    assert_int_equal(gov_graph_count(out, "entities", "azure_cdn_profile"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_resource_group_has_cdn_profile"),
                     80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_cdn_endpoint"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_cdn_profile_has_endpoint"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_batch_account"), 80);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_resource_group_has_batch_account"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_batch_pool"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_batch_account_has_pool"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_api_management_service"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_diagnostic_setting"), 0);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
    {
        if (strcmp(json_get_string(e, "_type"), "azure_api_management_service") != 0)
            continue;
        assert_true(cJSON_IsTrue(json_get(e, "public")));
        assert_true(cJSON_IsFalse(json_get(e, "enableClientCertificate")));
        assert_null(json_get(e, "createdAtUtc"));
        assert_string_equal(json_get_string(e, "tag.env"), "test");
    }
    cJSON_Delete(out);
}

/* Event Grid under a generated tenant: domains and topics per resource
 * group, domain topics per domain. */
static void test_generated_event_grid(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 1, .resource_groups = 4, .resources = 30};
    gov_case c = {.tenant = &t,
                  .faults = {{"/providers/microsoft.insights/diagnosticSettings", 404,
                              "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":"
                              "\"none\"}}"}},
                  .steps = {"ad-account", "rm-subscriptions", "rm-resources-resource-groups",
                            "rm-event-grid-domains", "rm-event-grid-domain-topics",
                            "rm-event-grid-topics"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_event_grid_domain"), 30);
    assert_int_equal(gov_graph_count(out, "entities", "azure_event_grid_domain_topic"), 30);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_event_grid_domain_has_topic"),
                     30);
    assert_int_equal(gov_graph_count(out, "entities", "azure_event_grid_topic"), 30);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_resource_group_has_event_grid_topic"), 30);
    cJSON_Delete(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_tables_follow_reference),
        cmocka_unit_test(test_event_grid_runs_last),
        cmocka_unit_test(test_entities_match_golden_snapshots),
        cmocka_unit_test(test_cdn_profiles),
        cmocka_unit_test(test_cdn_endpoints),
        cmocka_unit_test(test_batch_accounts),
        cmocka_unit_test(test_batch_pools),
        cmocka_unit_test(test_batch_applications),
        cmocka_unit_test(test_batch_certificates),
        cmocka_unit_test(test_api_management_services),
        cmocka_unit_test(test_api_management_apis),
        cmocka_unit_test(test_event_grid_domains),
        cmocka_unit_test(test_event_grid_domain_topics),
        cmocka_unit_test(test_event_grid_domain_topic_subscriptions),
        cmocka_unit_test(test_event_grid_topics),
        cmocka_unit_test(test_event_grid_topic_subscriptions),
        cmocka_unit_test(test_profiles_403_fails_step_with_role),
        cmocka_unit_test(test_unregistered_provider_is_empty),
        cmocka_unit_test(test_region_error_skips_one_group),
        cmocka_unit_test(test_top_level_error_fails_after_other_groups),
        cmocka_unit_test(test_child_403_skips_that_parent),
        cmocka_unit_test(test_child_throttling_fails_step),
        cmocka_unit_test(test_arml_error_is_absent),
        cmocka_unit_test(test_arml_paths),
        cmocka_unit_test(test_generated_tenant),
        cmocka_unit_test(test_generated_event_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

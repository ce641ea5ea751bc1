/*
 * Database and Cosmos DB steps against the recordings, through the fake
 * Azure server (SQL servers, their diagnostic settings, databases, firewall
 * rules and AD administrators; MySQL; MariaDB; PostgreSQL servers,
 * databases and firewall rules; Cosmos DB accounts and SQL databases).
 * Each case compares the produced graph with expected/<step>.json exactly
 * (derive_expected.py, from the recordings and the spec).  Seeded entities
 * stand for what rm-resources-resource-groups and rm-storage-resources
 * produce; resource groups are seeded with an upper-cased name to prove the
 * case-insensitive look-up.  Failure cases: the provider not registered
 * (404 MissingSubscriptionRegistration), 403 on a list (the step fails with
 * the permission to grant) and on one server's settings or children (only
 * that server's data is lost).  Last, the SQL firewall-rule table against
 * the reference's Jest snapshot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include "common/json.h"
#include "engine/entity_map.h"
#include "steps/databases.h"
#include "support/step_harness.h"

#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#define AD_HAR "steps/active-directory/__recordings__/active-directory-steps_52759203/recording.har"
#define SQL "steps/resource-manager/databases/sql/__recordings__/"
#define PG "steps/resource-manager/databases/postgresql/__recordings__/"
#define MYSQL_HAR                                                                               \
    "steps/resource-manager/databases/mysql/__recordings__/"                                   \
    "resource-manager-step-mysql-servers-and-databases_3407319069/recording.har"
#define MARIADB_HAR                                                                             \
    "steps/resource-manager/databases/mariadb/__recordings__/"                                 \
    "resource-manager-step-mariadb-servers-and-databases_601965491/recording.har"
#define COSMOS "steps/resource-manager/cosmosdb/__recordings__/"
#define EXPECTED(step) "tests/steps_rm_databases/expected/" step ".json"

#define SUB_SQL "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
#define SUB_OSS "87f62f44-9dad-4284-a08f-f2fb3d8b528a"
#define SUB_COSMOS "dccea45f-7035-4a17-8731-1fd46aaa74a0"

#define SEED_RG(sub)                                                                              \
    "{\"_key\":\"/subscriptions/" sub "/resourceGroups/J1DEV\",\"_type\":\"azure_resource_group\"," \
    "\"_class\":[\"Group\"],\"name\":\"J1DEV\",\"displayName\":\"J1DEV\"}"
#define SEED_STORAGE(sub, account)                                                              \
    "{\"_key\":\"/subscriptions/" sub "/resourceGroups/j1dev/providers/Microsoft.Storage/"      \
    "storageAccounts/" account "\",\"_type\":\"azure_storage_account\",\"_class\":"             \
    "[\"Service\"],\"name\":\"" account "\",\"displayName\":\"" account "\"}"

#define FORBIDDEN_BODY                                                                          \
    "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The client does not have "     \
    "authorization to perform action 'Microsoft.Sql/servers/read'\"}}"
#define UNREGISTERED_BODY                                                                       \
    "{\"error\":{\"code\":\"MissingSubscriptionRegistration\",\"message\":\"The subscription " \
    "is not registered to use namespace 'Microsoft.DBforMySQL'.\"}}"

static const cJSON *find_entity(const cJSON *graph, const char *type)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(graph, "entities"))
    {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type"));
        if (t && strcmp(t, type) == 0)
            return e;
    }
    return NULL;
}

/* Names of the _rawData entries of the first entity of `type`, joined by
 * ','. */
static void raw_names(const cJSON *graph, const char *type, char *out, size_t size)
{
    out[0] = '\0';
    const cJSON *e = find_entity(graph, type);
    assert_non_null(e);
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(e, "_rawData"))
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "name"));
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", len ? "," : "", n ? n : "?");
    }
}

static bool contains_text(const cJSON *node, const char *text)
{
    char *s = cJSON_PrintUnformatted(node);
    bool found = s && strstr(s, text);
    free(s);
    return found;
}

/* ---- SQL ---------------------------------------------------------------- */

static void test_sql_servers(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-database-sql-servers"),
                  .hars = {AD_HAR, SQL "rm-database-sql-servers_1783703110/recording.har"},
                  .subscription = SUB_SQL,
                  .seed = {SEED_RG(SUB_SQL)},
                  .steps = {"ad-account", "rm-database-sql-servers"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    char names[256];
    raw_names(out, "azure_sql_server", names, sizeof names);
    assert_string_equal(names, "default,auditing,alerting,encryptionProtector");
    /* Never a storage access key, not even the empty one Azure returns. */
    assert_false(contains_text(find_entity(out, "azure_sql_server"), "storageAccountAccessKey"));
    cJSON_Delete(out);
}

static void test_sql_server_settings_forbidden_keeps_server(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR, SQL "rm-database-sql-servers_1783703110/recording.har"},
                  .subscription = SUB_SQL,
                  .seed = {SEED_RG(SUB_SQL)},
                  .faults = {{"/securityAlertPolicies/", 403, FORBIDDEN_BODY},
                             {"/auditingSettings/", 404,
                              "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"x\"}}"}},
                  .steps = {"ad-account", "rm-database-sql-servers"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    const cJSON *server = find_entity(out, "azure_sql_server");
    assert_non_null(server);
    assert_null(cJSON_GetObjectItemCaseSensitive(server, "alertingEnabled"));
    assert_null(cJSON_GetObjectItemCaseSensitive(server, "auditingEnabled"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(server, "encryptionProtector.serverKeyType"));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(server, "secureTransport")));
    char names[256];
    raw_names(out, "azure_sql_server", names, sizeof names);
    assert_string_equal(names, "default,encryptionProtector");
    assert_int_equal(gov_graph_count(out, "relationships", "azure_resource_group_has_sql_server"),
                     1);
    cJSON_Delete(out);
}

static void test_sql_servers_forbidden_fails_step(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.hars = {AD_HAR, SQL "rm-database-sql-servers_1783703110/recording.har"},
                  .subscription = SUB_SQL,
                  .faults = {{"/providers/Microsoft.Sql/servers?", 403, FORBIDDEN_BODY}},
                  .steps = {"ad-account", "rm-database-sql-servers"},
                  .failing_step = "rm-database-sql-servers"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_int_equal(gov_graph_count(out, "entities", "azure_sql_server"), 0);
    assert_non_null(strstr(error, "403"));
    assert_non_null(strstr(error, "AuthorizationFailed"));
    assert_non_null(strstr(error, "Reader"));
    cJSON_Delete(out);
}

/* A case that is only its table: run, graph compared with its expected. */
static void run_case(void **state)
{
    gov_case_run(*state, NULL, NULL, 0);
}

#define GOV_CASE_TEST(name) {#name, run_case, NULL, NULL, (void *)&name##_case}

static const gov_case test_sql_diagnostic_settings_case = {
    .expected = EXPECTED("rm-sql-server-diagnostic-settings"),
    .hars = {AD_HAR, SQL "rm-sql-server-diagnostic-settings_1846383233/recording.har"},
    .subscription = SUB_SQL,
    .seed = {SEED_RG(SUB_SQL), SEED_STORAGE(SUB_SQL, "ndowmon1j1dev")},
    .steps = {"ad-account", "rm-database-sql-servers",
              "rm-sql-server-diagnostic-settings"}
};

static void test_sql_databases(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-database-sql-databases"),
                  .hars = {AD_HAR, SQL "rm-database-sql-databases_652427160/recording.har"},
                  .subscription = SUB_SQL,
                  .seed = {SEED_RG(SUB_SQL)},
                  .steps = {"ad-account", "rm-database-sql-servers", "rm-database-sql-databases"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    char names[256];
    raw_names(out, "azure_sql_database", names, sizeof names);
    assert_string_equal(names, "default,encryption,auditing");
    cJSON_Delete(out);
}

/* One server's databases cannot be listed: the step fails with a message
 * naming what was lost, after storing everything else. */
static void test_sql_databases_forbidden_fails_step(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.hars = {AD_HAR, SQL "rm-database-sql-databases_652427160/recording.har"},
                  .subscription = SUB_SQL,
                  .seed = {SEED_RG(SUB_SQL)},
                  .faults = {{"/databases?api-version", 403, FORBIDDEN_BODY}},
                  .steps = {"ad-account", "rm-database-sql-servers", "rm-database-sql-databases"},
                  .failing_step = "rm-database-sql-databases"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_int_equal(gov_graph_count(out, "entities", "azure_sql_database"), 0);
    assert_non_null(strstr(error, "SQL databases of at least one resource could not be listed"));
    assert_non_null(strstr(error, "403"));
    cJSON_Delete(out);
}

static const gov_case test_sql_firewall_rules_case = {
    .expected = EXPECTED("rm-database-sql-server-firewall-rules"),
    .hars = {AD_HAR, SQL "rm-database-sql-server-firewall-rules_735068570/recording.har"},
    .subscription = SUB_SQL,
    .seed = {SEED_RG(SUB_SQL)},
    .steps = {"ad-account", "rm-database-sql-servers",
              "rm-database-sql-server-firewall-rules"}
};

static const gov_case test_sql_ad_admins_case = {
    .expected = EXPECTED("rm-database-sql-server-active-directory-admins"),
    .hars = {AD_HAR, SQL "rm-database-sql-server-active-directory-admins_3173875955/recording.har"},
    .subscription = SUB_SQL,
    .seed = {SEED_RG(SUB_SQL)},
    .steps = {"ad-account", "rm-database-sql-servers",
              "rm-database-sql-server-active-directory-admins"}
};

/* ---- MySQL / MariaDB ------------------------------------------------------ */

static const gov_case test_mysql_case = {
    .expected = EXPECTED("rm-database-mysql-databases"),
    .hars = {AD_HAR, MYSQL_HAR},
    .subscription = SUB_OSS,
    .seed = {SEED_RG(SUB_OSS), SEED_STORAGE(SUB_OSS, "keionnedj1dev")},
    .steps = {"ad-account", "rm-database-mysql-databases"}
};

/* The resource provider is not registered in the subscription: Azure
 * answers 404 MissingSubscriptionRegistration; nothing to ingest, the step
 * succeeds. */
static void test_mysql_provider_not_registered(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR, MYSQL_HAR},
                  .subscription = SUB_OSS,
                  .seed = {SEED_RG(SUB_OSS)},
                  .faults = {{"/providers/Microsoft.DBforMySQL/servers?", 404, UNREGISTERED_BODY}},
                  .steps = {"ad-account", "rm-database-mysql-databases"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_mysql_server"), 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_mysql_database"), 0);
    cJSON_Delete(out);
}

/* A server whose databases cannot be listed (403, or a region that cannot
 * fulfil the request) loses only its databases: the step succeeds, as the
 * reference's catches that error. */
static void test_mysql_databases_error_skips_server(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR, MYSQL_HAR},
                  .subscription = SUB_OSS,
                  .seed = {SEED_RG(SUB_OSS), SEED_STORAGE(SUB_OSS, "keionnedj1dev")},
                  .faults = {{"/databases?api-version", 400,
                              "{\"error\":{\"code\":\"CannotFulfillRequest\",\"message\":\"The "
                              "requested operation cannot be fulfilled in region eastus\"}}"}},
                  .steps = {"ad-account", "rm-database-mysql-databases"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_mysql_server"), 1);
    assert_int_equal(gov_graph_count(out, "entities", "azure_diagnostic_setting"), 1);
    assert_int_equal(gov_graph_count(out, "entities", "azure_mysql_database"), 0);
    cJSON_Delete(out);
}

static const gov_case test_mariadb_case = {
    .expected = EXPECTED("rm-database-mariadb-databases"),
    .hars = {AD_HAR, MARIADB_HAR},
    .subscription = SUB_OSS,
    .seed = {SEED_RG(SUB_OSS), SEED_STORAGE(SUB_OSS, "keionnedj1dev")},
    .steps = {"ad-account", "rm-database-mariadb-databases"}
};

/* ---- PostgreSQL ------------------------------------------------------------ */

static void test_postgresql_servers(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-database-postgresql-servers"),
                  .hars = {AD_HAR, PG "rm-database-postgresql-servers_4246498554/recording.har"},
                  .subscription = SUB_SQL,
                  .seed = {SEED_RG(SUB_SQL), SEED_STORAGE(SUB_SQL, "ndowmon1j1dev")},
                  .steps = {"ad-account", "rm-database-postgresql-servers"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    char names[256];
    raw_names(out, "azure_postgresql_server", names, sizeof names);
    assert_string_equal(names, "default,serverConfigurations");
    cJSON_Delete(out);
}

static const gov_case test_postgresql_databases_case = {
    .expected = EXPECTED("rm-database-postgresql-databases"),
    .hars = {AD_HAR, PG "rm-database-postgresql-databases_2309296380/recording.har"},
    .subscription = SUB_SQL,
    .seed = {SEED_RG(SUB_SQL), SEED_STORAGE(SUB_SQL, "ndowmon1j1dev")},
    .steps = {"ad-account", "rm-database-postgresql-servers",
              "rm-database-postgresql-databases"}
};

static const gov_case test_postgresql_firewall_rules_case = {
    .expected = EXPECTED("rm-database-postgresql-server-firewall-rules"),
    .hars = {AD_HAR, PG "rm-database-postgresql-server-firewall-rules_2387336574/recording.har"},
    .subscription = SUB_SQL,
    .seed = {SEED_RG(SUB_SQL), SEED_STORAGE(SUB_SQL, "ndowmon1j1dev")},
    .steps = {"ad-account", "rm-database-postgresql-servers",
              "rm-database-postgresql-server-firewall-rules"}
};

/* ---- Cosmos DB -------------------------------------------------------------- */

static const gov_case test_cosmosdb_case = {
    .expected = EXPECTED("rm-cosmosdb-sql-databases"),
    .hars = {AD_HAR, COSMOS "iterateAccounts_2980472493/recording.har",
             COSMOS "iterateSQLDatabases_4172854763/recording.har"},
    .subscription = SUB_COSMOS,
    .seed = {SEED_RG(SUB_COSMOS)},
    .steps = {"ad-account", "rm-cosmosdb-sql-databases"}
};

static void test_cosmosdb_forbidden_fails_step(void **state)
{
    (void)state;
    char error[1024] = "";
    gov_case c = {.hars = {AD_HAR, COSMOS "iterateAccounts_2980472493/recording.har",
                           COSMOS "iterateSQLDatabases_4172854763/recording.har"},
                  .subscription = SUB_COSMOS,
                  .faults = {{"/databaseAccounts?", 403, FORBIDDEN_BODY}},
                  .steps = {"ad-account", "rm-cosmosdb-sql-databases"},
                  .failing_step = "rm-cosmosdb-sql-databases"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_int_equal(gov_graph_count(out, "entities", "azure_cosmosdb_account"), 0);
    assert_non_null(strstr(error, "403"));
    assert_non_null(strstr(error, "Reader"));
    cJSON_Delete(out);
}

/* ---- generated tenant ------------------------------------------------------ */

static size_t count_type(const cJSON *graph, const char *part, const char *type)
{
    size_t n = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(graph, part))
    {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "_type"));
        n += t && strcmp(t, type) == 0;
    }
    return n;
}

/* Every step of this suite against a generated tenant (two subscriptions,
 * every server with one child of each kind): all succeed, every list is
 * read under every parent, and the settings / diagnostic GETs the tenant
 * does not serve (404) cost nothing but their properties.  Prints the
 * figures: the client paces Resource Manager reads at Azure's budget per
 * subscription (burst 250, then 25 per second), so beyond the burst the
 * time is about (requests per subscription - 250) / 25 seconds. */
static void test_generated_tenant(void **state)
{
    (void)state;
    fake_azure *fa = fake_azure_start(NULL);
    assert_non_null(fa);
    enum { SUBS = 2, GROUPS = 4, PER_TYPE = 20 };
    fake_azure_tenant t = {.users = 2, .groups = 1, .members = 1, .service_principals = 1,
                           .subscriptions = SUBS, .resource_groups = GROUPS,
                           .resources = PER_TYPE};
    assert_int_equal(fake_azure_generate(fa, &t), 0);
    azure_endpoints ep = {0};
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(fa));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(fa));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(fa));
    snprintf(ep.storage_suffix, sizeof ep.storage_suffix, "core.windows.net");
    cJSON *cfg = cJSON_Parse("{\"clientId\":\"c-123456\",\"clientSecret\":\"s-1234567890\","
                             "\"directoryId\":\"00000000-0000-4000-8000-000000000000\"}");
    const char *ids[] = {"ad-account",
                         "rm-resources-resource-groups",
                         "rm-database-sql-servers",
                         "rm-sql-server-diagnostic-settings",
                         "rm-database-sql-databases",
                         "rm-database-sql-server-firewall-rules",
                         "rm-database-sql-server-active-directory-admins",
                         "rm-database-mysql-databases",
                         "rm-database-mariadb-databases",
                         "rm-database-postgresql-servers",
                         "rm-database-postgresql-databases",
                         "rm-database-postgresql-server-firewall-rules",
                         "rm-cosmosdb-sql-databases"};
    size_t n_ids = sizeof ids / sizeof ids[0];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    err_info err = {0};
    cJSON *g = step_harness_run_ids(cfg, &ep, ids, n_ids, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!g)
        fail_msg("run: %s", err.message);
    for (size_t i = 2; i < n_ids; i++) {
        char path[160];
        snprintf(path, sizeof path, "steps.%s.status", ids[i]);
        const char *status = json_path_string(g, path);
        if (!status || strcmp(status, "success") != 0)
            fail_msg("%s: %s", ids[i], status ? status : "not run");
    }
    const size_t servers = SUBS * PER_TYPE;
    static const char *const one_per_server[] = {
        "azure_sql_server",          "azure_sql_database",
        "azure_sql_server_firewall_rule", "azure_sql_server_active_directory_admin",
        "azure_mysql_server",        "azure_mysql_database",
        "azure_mariadb_server",      "azure_mariadb_database",
        "azure_postgresql_server",   "azure_postgresql_database",
        "azure_postgresql_server_firewall_rule", "azure_cosmosdb_account",
        "azure_cosmosdb_sql_database"};
    size_t entities = 0;
    for (size_t i = 0; i < sizeof one_per_server / sizeof *one_per_server; i++) {
        size_t n = count_type(g, "entities", one_per_server[i]);
        if (n != servers)
            fail_msg("%s: %zu entities, %zu expected", one_per_server[i], n, servers);
        entities += n;
    }
    static const char *const rels[] = {
        "azure_resource_group_has_sql_server",     "azure_sql_server_has_database",
        "azure_sql_server_has_firewall_rule",      "azure_sql_server_has_active_directory_admin",
        "azure_resource_group_has_mysql_server",   "azure_mysql_server_has_database",
        "azure_resource_group_has_mariadb_server", "azure_mariadb_server_has_database",
        "azure_resource_group_has_postgresql_server", "azure_postgresql_server_has_database",
        "azure_postgresql_server_has_firewall_rule", "azure_resource_group_has_cosmosdb_account",
        "azure_cosmosdb_account_has_sql_database"};
    for (size_t i = 0; i < sizeof rels / sizeof *rels; i++) {
        size_t n = count_type(g, "relationships", rels[i]);
        if (n != servers)
            fail_msg("%s: %zu relationships, %zu expected", rels[i], n, servers);
    }
    fake_azure_counts counts;
    fake_azure_get_counts(fa, &counts);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    fprintf(stderr,
            "generated tenant: %zu database entities in %.0f ms, %lld requests, at most %d in "
            "flight\n",
            entities, ms, (long long)counts.requests, counts.max_in_flight);
    cJSON_Delete(g);
    cJSON_Delete(cfg);
    fake_azure_stop(fa);
}

/* Forty SQL servers (two batches): the databases of one server of the
 * first batch cannot be listed (403).  The step fails, and the databases
 * of the 39 others, in both batches, are stored. */
static void test_generated_one_server_forbidden(void **state)
{
    (void)state;
    fake_azure *fa = fake_azure_start(NULL);
    assert_non_null(fa);
    fake_azure_tenant t = {.users = 1, .groups = 1, .members = 1, .service_principals = 1,
                           .subscriptions = 1, .resource_groups = 2, .resources = 40};
    assert_int_equal(fake_azure_generate(fa, &t), 0);
    fake_azure_fault f = {.match = "Microsoft.Sql/servers/servers-5/databases?",
                          .kind = FAKE_FAULT_STATUS, .status = 403, .body = FORBIDDEN_BODY};
    assert_int_equal(fake_azure_add_fault(fa, &f), 0);
    azure_endpoints ep = {0};
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(fa));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(fa));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(fa));
    snprintf(ep.storage_suffix, sizeof ep.storage_suffix, "core.windows.net");
    cJSON *cfg = cJSON_Parse("{\"clientId\":\"c-123456\",\"clientSecret\":\"s-1234567890\","
                             "\"directoryId\":\"00000000-0000-4000-8000-000000000000\"}");
    const char *ids[] = {"ad-account", "rm-database-sql-servers", "rm-database-sql-databases"};
    err_info err = {0};
    cJSON *g = step_harness_run_ids(cfg, &ep, ids, 3, &err);
    if (!g)
        fail_msg("run: %s", err.message);
    assert_string_equal(json_path_string(g, "steps.rm-database-sql-servers.status"), "success");
    assert_string_equal(json_path_string(g, "steps.rm-database-sql-databases.status"), "failure");
    assert_int_equal(count_type(g, "entities", "azure_sql_server"), 40);
    assert_int_equal(count_type(g, "entities", "azure_sql_database"), 39);
    assert_int_equal(count_type(g, "relationships", "azure_sql_server_has_database"), 39);
    cJSON_Delete(g);
    cJSON_Delete(cfg);
    fake_azure_stop(fa);
}

/* ---- golden snapshot ------------------------------------------------------- */

static cJSON *read_json(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", AI_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    assert_non_null(j);
    return j;
}

/* The snapshot's input (its default raw data is the SDK object) put back
 * in ARM form and mapped by our table gives the snapshot entity exactly,
 * _rawData included. */
static void test_sql_firewall_rule_golden(void **state)
{
    (void)state;
    cJSON *golden = read_json(EXPECTED("golden-sql-firewall-rule"));
    const cJSON *sdk = json_path(golden, "_rawData.0.rawData");
    assert_non_null(sdk);
    cJSON *item = cJSON_CreateObject();
    cJSON *props = cJSON_AddObjectToObject(item, "properties");
    const cJSON *m;
    cJSON_ArrayForEach(m, sdk)
    {
        bool nested = strcmp(m->string, "startIpAddress") == 0 ||
                      strcmp(m->string, "endIpAddress") == 0;
        cJSON_AddItemToObject(nested ? props : item, m->string, cJSON_Duplicate(m, 1));
    }
    cJSON *entity = NULL;
    err_info err = {0};
    map_ctx mctx = {0};
    assert_int_equal(entity_map_build(&databases_sql_firewall_rule_spec, item, &mctx, &entity, &err),
                     0);
    if (!cJSON_Compare(entity, golden, true)) {
        char *a = cJSON_Print(entity), *b = cJSON_Print(golden);
        fail_msg("entity differs from the snapshot:\n%s\nexpected:\n%s", a, b);
    }
    cJSON_Delete(entity);
    cJSON_Delete(item);
    cJSON_Delete(golden);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_servers),
        cmocka_unit_test(test_sql_server_settings_forbidden_keeps_server),
        cmocka_unit_test(test_sql_servers_forbidden_fails_step),
        GOV_CASE_TEST(test_sql_diagnostic_settings),
        cmocka_unit_test(test_sql_databases),
        cmocka_unit_test(test_sql_databases_forbidden_fails_step),
        GOV_CASE_TEST(test_sql_firewall_rules),
        GOV_CASE_TEST(test_sql_ad_admins),
        GOV_CASE_TEST(test_mysql),
        cmocka_unit_test(test_mysql_provider_not_registered),
        cmocka_unit_test(test_mysql_databases_error_skips_server),
        GOV_CASE_TEST(test_mariadb),
        cmocka_unit_test(test_postgresql_servers),
        GOV_CASE_TEST(test_postgresql_databases),
        GOV_CASE_TEST(test_postgresql_firewall_rules),
        GOV_CASE_TEST(test_cosmosdb),
        cmocka_unit_test(test_cosmosdb_forbidden_fails_step),
        cmocka_unit_test(test_generated_tenant),
        cmocka_unit_test(test_generated_one_server_forbidden),
        cmocka_unit_test(test_sql_firewall_rule_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

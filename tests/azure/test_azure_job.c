/*
 * azure_config and azure_job: config parsing and validation messages, and
 * invocation validation against the reference's recordings
 * (__recordings__/validateInvocation*), plus subscription discovery (our
 * extension) against a generated tenant, and step enablement.
 */
#include "steps/azure_job.h"
#include "fakes/fake_azure.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC AI_SOURCE_DIR "/tests/fixtures/azure-recordings/__recordings__/"
#define TENANT "992d7bbe-b367-459c-a10f-cf3fd16103ab"
#define SUB "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"

static int parse(const char *json, azure_config *c, err_info *err) {
    cJSON *j = cJSON_Parse(json);
    int rc = azure_config_parse(j, c, err);
    cJSON_Delete(j);
    return rc;
}

static void test_config_parse(void **state) {
    (void)state;
    azure_config c;
    err_info err;
    assert_int_equal(parse("{\"clientId\":\" id \",\"clientSecret\":\"sec\",\"directoryId\":\"dir\","
                           "\"subscriptionId\":\"\",\"ingestActiveDirectory\":true}",
                           &c, &err),
                     0);
    assert_string_equal(c.client_id, "id");
    assert_null(c.subscription_id);
    assert_true(c.ingest_active_directory);
    assert_false(c.tag_with_account_name);
    azure_config_clear(&c);

    assert_int_equal(parse("{\"clientId\":\"id\",\"clientSecret\":\"sec\",\"directoryId\":\"dir\","
                           "\"subscriptionId\":null,\"tagWithAccountName\":\"TRUE\"}",
                           &c, &err),
                     0);
    assert_null(c.subscription_id);
    assert_false(c.ingest_active_directory);
    assert_true(c.tag_with_account_name);
    azure_config_clear(&c);

    static const char *const missing[] = {
        "{\"clientSecret\":\"sec\",\"directoryId\":\"dir\"}",
        "{\"clientId\":\"id\",\"clientSecret\":\"  \",\"directoryId\":\"dir\"}",
        "{\"clientId\":\"id\",\"clientSecret\":\"sec\"}",
    };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(parse(missing[i], &c, &err), -1);
        assert_int_equal(err.kind, ERR_INVALID);
        assert_string_equal(err.message, "Integration configuration requires all of {clentId, "
                                         "clientSecret, directoryId}");
    }
    assert_int_equal(parse("{\"clientId\":5,\"clientSecret\":\"sec\",\"directoryId\":\"d\"}", &c, &err),
                     -1);
    assert_string_equal(err.message, "config.clientId must be a string");
    assert_int_equal(parse("{\"clientId\":\"i\",\"clientSecret\":\"s\",\"directoryId\":\"d\","
                           "\"ingestActiveDirectory\":\"yes\"}",
                           &c, &err),
                     -1);
    assert_string_equal(err.message, "config.ingestActiveDirectory must be true or false");
    assert_int_equal(parse("{\"clientId\":\"i\",\"clientSecret\":\"s\",\"directoryId\":\"d\","
                           "\"subscriptionId\":\"abc/../x?y\"}",
                           &c, &err),
                     -1);
    assert_non_null(strstr(err.message, "is not a subscription id"));
    assert_int_equal(parse("[1]", &c, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
}

typedef struct job_fixture {
    fake_azure *fake;
    azure_endpoints ep;
} job_fixture;

static void start(job_fixture *fx, const char *har_dir) {
    fx->fake = fake_azure_start(NULL);
    assert_non_null(fx->fake);
    if (har_dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s%s", REC, har_dir);
        assert_true(fake_azure_load_dir(fx->fake, path) > 0);
    }
    memset(&fx->ep, 0, sizeof fx->ep);
    snprintf(fx->ep.authority_host, sizeof fx->ep.authority_host, "%s", fake_azure_url(fx->fake));
    snprintf(fx->ep.graph, sizeof fx->ep.graph, "%s", fake_azure_url(fx->fake));
    snprintf(fx->ep.resource_manager, sizeof fx->ep.resource_manager, "%s",
             fake_azure_url(fx->fake));
}

static int validate(job_fixture *fx, const char *config_json, azure_job **job, err_info *err) {
    cJSON *cfg = cJSON_Parse(config_json);
    assert_non_null(cfg);
    azure_instance_info info = {"instance-1", "My Azure", "j1dev"};
    int rc = azure_job_new(cfg, &info, &fx->ep, job, err);
    cJSON_Delete(cfg);
    assert_int_equal(rc, 0);
    return azure_job_validate(*job, err);
}

static void test_validate_valid_subscription(void **state) {
    (void)state;
    job_fixture fx;
    start(&fx, "validateInvocationWithValidSubscriptionId_2465382381");
    azure_job *job = NULL;
    err_info err;
    assert_int_equal(validate(&fx, "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\",\"directoryId\":"
                                   "\"" TENANT "\",\"subscriptionId\":\"" SUB "\"}",
                              &job, &err),
                     0);
    assert_int_equal(azure_job_subscription_count(job), 1);
    assert_string_equal(azure_job_subscription(job, 0), SUB);
    assert_null(azure_job_subscription(job, 1));
    assert_int_equal(fake_azure_unmatched_count(fx.fake), 0);
    step_def rm = {.id = "rm-x", .enabled_when = STEP_IF_RESOURCE_MANAGER};
    step_def ad = {.id = "ad-users", .enabled_when = STEP_IF_ACTIVE_DIRECTORY};
    step_def acct = {.id = "ad-account", .enabled_when = STEP_ALWAYS};
    assert_true(azure_job_step_enabled(job, &rm));
    assert_false(azure_job_step_enabled(job, &ad));
    assert_true(azure_job_step_enabled(job, &acct));
    assert_string_equal(azure_job_instance(job)->instance_name, "My Azure");
    assert_null(azure_job_default_domain(job));
    azure_job_set_default_domain(job, "example.onmicrosoft.com");
    azure_job_set_default_domain(job, "other.com"); /* set once */
    assert_string_equal(azure_job_default_domain(job), "example.onmicrosoft.com");
    azure_job_free(job);
    fake_azure_stop(fx.fake);
}

static void test_validate_invalid_subscription(void **state) {
    (void)state;
    job_fixture fx;
    start(&fx, "validateInvocationWithInvalidSubscriptionId_1753898444");
    azure_job *job = NULL;
    err_info err;
    assert_int_equal(validate(&fx, "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\",\"directoryId\":"
                                   "\"" TENANT "\",\"subscriptionId\":\"some-fake-subscription-id\"}",
                              &job, &err),
                     -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_string_equal(err.message, "subscriptionId not found in tenant specified by directoryId");
    azure_job_free(job);
    fake_azure_stop(fx.fake);
}

static void test_validate_without_subscription(void **state) {
    (void)state;
    static const char *const dirs[] = {"validateInvocationWithEmptySubscriptionId_2323332222",
                                       "validateInvocationWithUndefinedSubscriptionId_2263578091"};
    static const char *const configs[] = {
        "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\",\"directoryId\":\"" TENANT
        "\",\"subscriptionId\":\"\",\"ingestActiveDirectory\":true}",
        "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\",\"directoryId\":\"" TENANT
        "\",\"ingestActiveDirectory\":true}"};
    for (size_t i = 0; i < 2; i++) {
        job_fixture fx;
        start(&fx, dirs[i]);
        azure_job *job = NULL;
        err_info err;
        assert_int_equal(validate(&fx, configs[i], &job, &err), 0);
        /* Our extension: discovery of subscriptions, not in the recording
         * (answered 404 = none readable), so Resource Manager is off. */
        assert_int_equal(azure_job_subscription_count(job), 0);
        assert_int_equal(fake_azure_unmatched_count(fx.fake), 1);
        char u[256];
        assert_true(fake_azure_unmatched(fx.fake, 0, u, sizeof u));
        assert_string_equal(u, "GET /subscriptions?api-version=2016-06-01");
        step_def rm = {.id = "rm-x", .enabled_when = STEP_IF_RESOURCE_MANAGER};
        step_def ad = {.id = "ad-users", .enabled_when = STEP_IF_ACTIVE_DIRECTORY};
        assert_false(azure_job_step_enabled(job, &rm));
        assert_true(azure_job_step_enabled(job, &ad));
        azure_job_free(job);
        fake_azure_stop(fx.fake);
    }
}

static void test_validate_invalid_directory(void **state) {
    (void)state;
    job_fixture fx;
    start(&fx, "validateInvocationWithInvalidDirectoryId_4082019438");
    azure_job *job = NULL;
    err_info err;
    assert_int_equal(validate(&fx, "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\",\"directoryId\":"
                                   "\"some-fake-directory-id\"}",
                              &job, &err),
                     -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_non_null(strstr(err.message, "AADSTS90002: Tenant 'some-fake-directory-id' not found."));
    assert_string_equal(err.hint, "check clientId/clientSecret/directoryId");
    assert_null(strstr(err.message, "secret-1"));
    fake_azure_counts c;
    fake_azure_get_counts(fx.fake, &c);
    assert_int_equal(c.token_requests, 1); /* not retried */
    assert_int_equal(fake_azure_unmatched_count(fx.fake), 0);
    azure_job_free(job);
    fake_azure_stop(fx.fake);
}

static void test_validate_invalid_input_directory(void **state) {
    (void)state;
    job_fixture fx;
    start(&fx, "validateInvocationWithInvalidInputInDirectoryId_2308253719");
    azure_job *job = NULL;
    err_info err;
    assert_int_equal(validate(&fx, "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\",\"directoryId\":"
                                   "\"\\\"><script src=https://hgxxss.xss.ht></script>\"}",
                              &job, &err),
                     -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_string_equal(err.message, "AADSTS90013: Invalid input received from the user. The "
                                     "provided directory ID is invalid.");
    assert_int_equal(fake_azure_unmatched_count(fx.fake), 0);
    azure_job_free(job);
    fake_azure_stop(fx.fake);
}

static void test_discovery_generated(void **state) {
    (void)state;
    job_fixture fx;
    start(&fx, NULL);
    fake_azure_tenant t = {.users = 1, .subscriptions = 3};
    assert_int_equal(fake_azure_generate(fx.fake, &t), 0);
    azure_job *job = NULL;
    err_info err;
    assert_int_equal(validate(&fx, "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\","
                                   "\"directoryId\":\"t\"}",
                              &job, &err),
                     0);
    assert_int_equal(azure_job_subscription_count(job), 3);
    step_def rm = {.id = "rm-x", .enabled_when = STEP_IF_RESOURCE_MANAGER};
    assert_true(azure_job_step_enabled(job, &rm));
    azure_job_free(job);

    /* A 403 on the subscription list without a configured subscription:
     * Active Directory only, not a failure. */
    fake_azure_fault f = {.match = "^/subscriptions", .kind = FAKE_FAULT_STATUS, .status = 403};
    fake_azure_add_fault(fx.fake, &f);
    assert_int_equal(validate(&fx, "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\","
                                   "\"directoryId\":\"t\"}",
                              &job, &err),
                     0);
    assert_int_equal(azure_job_subscription_count(job), 0);
    azure_job_free(job);
    /* With a configured subscription, the same 403 fails validation. */
    assert_int_equal(validate(&fx, "{\"clientId\":\"c\",\"clientSecret\":\"secret-1\","
                                   "\"directoryId\":\"t\",\"subscriptionId\":\"abc\"}",
                              &job, &err),
                     -1);
    assert_int_equal(err.kind, ERR_FORBIDDEN);
    assert_non_null(strstr(err.hint, "Reader role"));
    azure_job_free(job);
    fake_azure_stop(fx.fake);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_parse),
        cmocka_unit_test(test_validate_valid_subscription),
        cmocka_unit_test(test_validate_invalid_subscription),
        cmocka_unit_test(test_validate_without_subscription),
        cmocka_unit_test(test_validate_invalid_directory),
        cmocka_unit_test(test_validate_invalid_input_directory),
        cmocka_unit_test(test_discovery_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * SDK CLI proof: the on-disk layout written by OUR writer
 * (engine/sdk_writer.h) is read by JupiterOne's own
 * `@jupiterone/integration-sdk-cli` (`j1-integration sync`), which uploads it
 * to the fake JupiterOne; the fake must receive exactly our objects, once
 * each, and one finalize with our partial datasets.
 *
 * The CLI is installed from npm once into
 * <source>/.local/npm-cache/integration-sdk-cli (shared by builds, reused
 * when present).  When npm cannot install it the test fails with a message
 * naming the log of the npm run; it never passes without running the CLI.
 */
#include "engine/sdk_writer.h"
#include "fakes/fake_j1.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define API_KEY "sdk-cli-test-key"
#define ACCOUNT "acct-sdk"

static char cli_dir[1024], cli_bin[1200];

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* Runs argv (no shell), stdout+stderr to log; returns the exit status or -1. */
static int run(char *const argv[], const char *log, const char *cwd)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        FILE *f = freopen(log, "w", stdout);
        if (!f || dup2(fileno(stdout), 2) < 0 || (cwd && chdir(cwd) != 0))
            _exit(127);
        unsetenv("INTEGRATION_FILE_COMPRESSION_ENABLED");
        unsetenv("JUPITERONE_API_KEY");
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void print_log(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[1024];
    int n = 0;
    while (f && fgets(line, sizeof line, f) && n++ < 200)
        fprintf(stderr, "  | %s", line);
    if (f)
        fclose(f);
}

static int ensure_cli(void **state)
{
    (void)state;
    snprintf(cli_dir, sizeof cli_dir, "%s/.local/npm-cache/integration-sdk-cli", env_or("AI_SOURCE_DIR", "."));
    snprintf(cli_bin, sizeof cli_bin, "%s/node_modules/.bin/j1-integration", cli_dir);
    if (access(cli_bin, X_OK) == 0)
        return 0;
    char parent[1100];
    snprintf(parent, sizeof parent, "%s/.local", env_or("AI_SOURCE_DIR", "."));
    mkdir(parent, 0755);
    snprintf(parent, sizeof parent, "%s/.local/npm-cache", env_or("AI_SOURCE_DIR", "."));
    mkdir(parent, 0755);
    mkdir(cli_dir, 0755);
    char log[1200];
    snprintf(log, sizeof log, "%s/npm-install.log", cli_dir);
    char *argv[] = {"npm", "install", "--no-audit", "--no-fund", "--prefix", cli_dir,
                    "@jupiterone/integration-sdk-cli", NULL};
    int rc = run(argv, log, cli_dir);
    if (rc != 0 || access(cli_bin, X_OK) != 0) {
        fprintf(stderr,
                "cannot install @jupiterone/integration-sdk-cli from npm (exit %d): the npm registry "
                "may be unreachable from here.  npm's output (%s):\n", rc, log);
        print_log(log);
        return -1;
    }
    return 0;
}

typedef struct objs {
    char **text;
    size_t *len;
    size_t n;
} objs;

static objs make(const char *prefix, const char *type, size_t n, bool rel)
{
    objs o = {calloc(n, sizeof(char *)), calloc(n, sizeof(size_t)), n};
    for (size_t i = 0; i < n; i++) {
        char buf[512];
        if (rel)
            snprintf(buf, sizeof buf,
                     "{\"_key\":\"%s-%zu\",\"_type\":\"%s\",\"_class\":\"HAS\",\"_fromEntityKey\":\"ea-%zu\","
                     "\"_toEntityKey\":\"eb-%zu\",\"displayName\":\"HAS\"}", prefix, i, type, i, i);
        else
            snprintf(buf, sizeof buf,
                     "{\"_key\":\"%s-%zu\",\"_type\":\"%s\",\"_class\":[\"Resource\"],\"name\":\"n%zu\","
                     "\"displayName\":\"n%zu\",\"_rawData\":[{\"name\":\"default\",\"rawData\":{\"id\":\"%zu\"}}]}",
                     prefix, i, type, i, i, i);
        o.text[i] = strdup(buf);
        o.len[i] = strlen(buf);
    }
    return o;
}

static void write_all(graph_sink *s, const char *step, const objs *o, const char *type, graph_kind kind)
{
    for (size_t i = 0; i < o->n; i += 100) {
        size_t n = o->n - i < 100 ? o->n - i : 100;
        graph_chunk c = {step, type, kind, (const char *const *)o->text + i, o->len + i, n};
        err_info err = {0};
        if (s->write_chunk(s->ctx, &c, &err) < 0)
            fail_msg("sdk_writer write_chunk: %s", err.message);
    }
}

static void free_objs(objs *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->text[i]);
    free(o->text);
    free(o->len);
}

static void test_sdk_cli_syncs_our_layout(void **state)
{
    (void)state;
    char project[1024], root[1100], log[1100];
    snprintf(project, sizeof project, "%s/tests/j1/sdk-cli-project", env_or("AI_BINARY_DIR", "."));
    snprintf(root, sizeof root, "%s/.j1-integration", project);
    snprintf(log, sizeof log, "%s/sync.log", project);
    mkdir(project, 0755);

    /* our writer's output */
    sdk_writer *w = NULL;
    err_info err = {0};
    assert_int_equal(sdk_writer_new(root, &w, &err), 0);
    graph_sink s = sdk_writer_sink(w);
    objs a = make("ea", "azure_test_a", 620, false);   /* more than one file of 500 */
    objs b = make("eb", "azure_test_b", 40, false);
    objs r = make("r", "azure_test_a_has_b", 40, true);
    write_all(&s, "step-a", &a, "azure_test_a", GRAPH_ENTITIES);
    write_all(&s, "step-b", &b, "azure_test_b", GRAPH_ENTITIES);
    write_all(&s, "step-b", &r, "azure_test_a_has_b", GRAPH_RELATIONSHIPS);
    const char *partial[] = {"azure_test_c", "azure_test_c_has_d"};
    const char *summary =
        "{\"integrationStepResults\":[],\"metadata\":{\"partialDatasets\":{\"types\":"
        "[\"azure_test_c\",\"azure_test_c_has_d\"]}}}";
    assert_int_equal(s.finish(s.ctx, partial, 2, summary, &err), 0);
    sdk_writer_free(w);

    fake_j1_options o = {.api_key = API_KEY, .account_id = ACCOUNT};
    fake_j1 *f = fake_j1_start(&o);
    assert_non_null(f);
    char *argv[] = {cli_bin, "sync", "--integrationInstanceId", "inst-sdk", "--api-base-url",
                    (char *)fake_j1_url(f), "--account", ACCOUNT, "--api-key", API_KEY, "-p", project, NULL};
    int rc = run(argv, log, project);
    if (rc != 0) {
        fprintf(stderr, "j1-integration sync exited %d; its output (%s):\n", rc, log);
        print_log(log);
    }
    assert_int_equal(rc, 0);

    fake_j1_counts c;
    fake_j1_counts_get(f, &c);
    assert_int_equal(c.jobs_started, 1);
    assert_int_equal(c.entities, 660);
    assert_int_equal(c.relationships, 40);
    assert_int_equal(c.duplicates, 0);
    assert_int_equal(c.bad_requests, 0);
    assert_int_equal(c.finalizes, 1);
    assert_int_equal(c.aborts, 0);
    char key[64];
    for (size_t i = 0; i < 620; i++) {
        snprintf(key, sizeof key, "ea-%zu", i);
        assert_int_equal(fake_j1_object_seen(f, FAKE_J1_ENTITY, key), 1);
    }
    for (size_t i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "eb-%zu", i);
        assert_int_equal(fake_j1_object_seen(f, FAKE_J1_ENTITY, key), 1);
        snprintf(key, sizeof key, "r-%zu", i);
        assert_int_equal(fake_j1_object_seen(f, FAKE_J1_RELATIONSHIP, key), 1);
    }
    char status[48], partial_json[256];
    assert_true(fake_j1_last_job(f, status, sizeof status, partial_json, sizeof partial_json, NULL, 0));
    assert_string_equal(partial_json, "[\"azure_test_c\",\"azure_test_c_has_d\"]");
    fake_j1_stop(f);
    free_objs(&a);
    free_objs(&b);
    free_objs(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdk_cli_syncs_our_layout),
    };
    return cmocka_run_group_tests(tests, ensure_cli, NULL);
}

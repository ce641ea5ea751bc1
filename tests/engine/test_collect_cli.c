/* collect / document commands: exit codes for usage and configuration
 * errors (service-contract.md: 64 usage, 1 fatal), document prints the
 * generated section; collect against the fake Azure: 0 / 2, config checked
 * as the HTTP edge checks it, LOG_LEVEL. */
#include "service/commands.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static int run(int (*cmd)(int, char **), int argc, const char **argv)
{
    return cmd(argc, (char **)argv);
}

static void test_usage_errors(void **state)
{
    (void)state;
    const char *bad[] = {"collect", "--bogus"};
    assert_int_equal(run(cmd_collect, 2, bad), 64);
    const char *incomplete[] = {"collect", "--config"};
    assert_int_equal(run(cmd_collect, 2, incomplete), 64);
    const char *doc_bad[] = {"document", "extra"};
    assert_int_equal(run(cmd_document, 2, doc_bad), 64);
}

static void test_bad_config_is_fatal(void **state)
{
    (void)state;
    char out[] = "/tmp/ai-collect-XXXXXX";
    assert_non_null(mkdtemp(out));
    const char *missing[] = {"collect", "--config", "/nonexistent/config.json", "--output", out};
    assert_int_equal(run(cmd_collect, 5, missing), 1);
    char cfg[] = "/tmp/ai-collect-cfg-XXXXXX";
    int fd = mkstemp(cfg);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "[1,2]", 5), 5);
    close(fd);
    const char *notobj[] = {"collect", "--config", cfg, "--output", out};
    assert_int_equal(run(cmd_collect, 5, notobj), 1);
    fd = open(cfg, O_WRONLY | O_TRUNC);
    const char *empty = "{\"clientId\":\"\"}";
    assert_int_equal(write(fd, empty, strlen(empty)), (ssize_t)strlen(empty));
    close(fd);
    const char *invalid[] = {"collect", "--config", cfg, "--output", out};
    assert_int_equal(run(cmd_collect, 5, invalid), 1);
    unlink(cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", out);
    assert_int_equal(system(cmd), 0);
}

/* ---- against the fake Azure (tests/fakes/fake-azure as a process) ------- */

static pid_t g_fake = -1;
static int g_fake_stdin = -1;
static char g_url[128];

/* Starts fake-azure with a small generated tenant and points the Azure
 * endpoints at it (it exits when its stdin closes). */
static int fake_setup(void **state)
{
    (void)state;
    const char *bin_dir = getenv("AI_BINARY_DIR");
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/tests/fakes/fake-azure", bin_dir ? bin_dir : ".");
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0)
        return -1;
    g_fake = fork();
    if (g_fake < 0)
        return -1;
    if (g_fake == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        close(in[1]);
        close(out[0]);
        execl(bin, bin, "--generate",
              "users=2,groups=1,members=1,sps=1,subscriptions=1,resourcegroups=1,resources=2",
              (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    g_fake_stdin = in[1];
    FILE *f = fdopen(out[0], "r");
    if (!f || !fgets(g_url, sizeof g_url, f)) {
        fprintf(stderr, "fake-azure (%s) did not start\n", bin);
        return -1;
    }
    fclose(f);
    g_url[strcspn(g_url, "\r\n")] = 0;
    char storage[256];
    snprintf(storage, sizeof storage, "%s/__storage/{account}/{service}", g_url);
    setenv("AZURE_AUTHORITY_HOST", g_url, 1);
    setenv("AZURE_GRAPH_ENDPOINT", g_url, 1);
    setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", g_url, 1);
    setenv("AZURE_STORAGE_URL_TEMPLATE", storage, 1);
    return 0;
}

static int fake_teardown(void **state)
{
    (void)state;
    if (g_fake_stdin >= 0)
        close(g_fake_stdin);
    if (g_fake > 0)
        waitpid(g_fake, NULL, 0);
    return 0;
}

/* Runs collect with stderr captured into *text (caller frees). */
static int collect_captured(int argc, const char **argv, char **text)
{
    char path[] = "/tmp/ai-collect-err-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    int rc = run(cmd_collect, argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    lseek(fd, 0, SEEK_SET);
    *text = calloc(1, (size_t)n + 1);
    assert_int_equal(read(fd, *text, (size_t)n), (ssize_t)n);
    close(fd);
    unlink(path);
    return rc;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

#define GOOD_CONFIG "{\"directoryId\":\"tid\",\"clientId\":\"cid\",\"clientSecret\":\"s3cr3t\""

/* 0 when every step succeeded, 2 when one failed, with the SDK's files. */
static void test_exit_codes(void **state)
{
    (void)state;
    char dir[] = "/tmp/ai-collect-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cfg[600], out[600], summary[700];
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(summary, sizeof summary, "%s/summary.json", out);
    write_file(cfg, GOOD_CONFIG ",\"ingestActiveDirectory\":true}");
    const char *argv[] = {"collect", "--config", cfg, "--output", out};
    char *text = NULL;
    int rc = collect_captured(5, argv, &text);
    if (rc != 0)
        fprintf(stderr, "%s", text);
    assert_int_equal(rc, 0);
    assert_int_equal(access(summary, F_OK), 0);
    free(text);

    /* a storage data-plane endpoint that answers 404: that step fails */
    const char *saved = getenv("AZURE_STORAGE_URL_TEMPLATE");
    char *keep = strdup(saved);
    char storage[256];
    snprintf(storage, sizeof storage, "%s/nothing/{account}/{service}", g_url);
    setenv("AZURE_STORAGE_URL_TEMPLATE", storage, 1);
    assert_int_equal(collect_captured(5, argv, &text), 2);
    assert_int_equal(access(summary, F_OK), 0);
    setenv("AZURE_STORAGE_URL_TEMPLATE", keep, 1);
    free(keep);
    free(text);
    rm_rf(dir);
}

/* The config (file or environment) passes the HTTP edge's checks
 * (handlers/events.c): what POST /v1/events refuses, collect refuses too,
 * before it touches the output directory. */
static void test_config_checked_like_the_edge(void **state)
{
    (void)state;
    char dir[] = "/tmp/ai-collect-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cfg[600], out[600];
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    static const struct { const char *config, *names; } bad[] = {
        {GOOD_CONFIG ",\"ingestActiveDirectory\":\"true\"}", "config.ingestActiveDirectory"},
        {"{\"directoryId\":\"tid\",\"clientId\":\"c id\",\"clientSecret\":\"s\"}",
         "config.clientId"},
        {"{\"directoryId\":\"tid/x\",\"clientId\":\"cid\",\"clientSecret\":\"s\"}",
         "config.directoryId"},
        {GOOD_CONFIG ",\"subscriptionId\":7}", "config.subscriptionId"},
    };
    char previous[700];
    snprintf(previous, sizeof previous, "%s/summary.json", out);
    assert_int_equal(mkdir(out, 0755), 0);
    write_file(previous, "{}");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(cfg, bad[i].config);
        const char *argv[] = {"collect", "--config", cfg, "--output", out};
        char *text = NULL;
        int rc = collect_captured(5, argv, &text);
        if (rc != 1 || !strstr(text, bad[i].names))
            fprintf(stderr, "config %s:\n%s", bad[i].config, text);
        assert_int_equal(rc, 1);
        assert_non_null(strstr(text, bad[i].names));
        assert_null(strstr(text, "s3cr3t"));
        assert_int_equal(access(previous, F_OK), 0); /* the previous output is kept */
        free(text);
    }
    /* from the environment: the message names the variable */
    setenv("CLIENT_ID", "c id", 1);
    setenv("CLIENT_SECRET", "s", 1);
    setenv("DIRECTORY_ID", "tid", 1);
    const char *argv[] = {"collect", "--output", out};
    char *text = NULL;
    assert_int_equal(collect_captured(3, argv, &text), 1);
    assert_non_null(strstr(text, "CLIENT_ID"));
    free(text);
    setenv("CLIENT_ID", "cid", 1);
    assert_int_equal(collect_captured(3, argv, &text), 0);
    free(text);
    unsetenv("CLIENT_ID");
    unsetenv("CLIENT_SECRET");
    unsetenv("DIRECTORY_ID");
    rm_rf(dir);
}

/* LOG_LEVEL (service-contract.md: debug, info, warn, error) applies to
 * collect too; another value is a configuration error. */
static void test_log_level(void **state)
{
    (void)state;
    char dir[] = "/tmp/ai-collect-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cfg[600], out[600];
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    write_file(cfg, GOOD_CONFIG "}");
    const char *argv[] = {"collect", "--config", cfg, "--output", out};
    char *text = NULL;
    setenv("LOG_LEVEL", "error", 1);
    assert_int_equal(collect_captured(5, argv, &text), 0);
    assert_null(strstr(text, "\"level\":\"info\""));
    free(text);
    setenv("LOG_LEVEL", "loud", 1);
    assert_int_equal(collect_captured(5, argv, &text), 1);
    assert_non_null(strstr(text, "LOG_LEVEL"));
    free(text);
    unsetenv("LOG_LEVEL");
    assert_int_equal(collect_captured(5, argv, &text), 0);
    assert_non_null(strstr(text, "\"level\":\"info\""));
    free(text);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_bad_config_is_fatal),
    };
    const struct CMUnitTest with_fake[] = {
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_config_checked_like_the_edge),
        cmocka_unit_test(test_log_level),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed + cmocka_run_group_tests(with_fake, fake_setup, fake_teardown);
}

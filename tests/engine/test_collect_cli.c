/* collect / document commands: exit codes for usage and configuration
 * errors (service-contract.md: 64 usage, 1 fatal), document prints the
 * generated section. */
#include "service/commands.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_bad_config_is_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

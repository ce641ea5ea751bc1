/*
 * cmd_migrate: the `migrate` command: applies pending migrations
 * (storage/migrations.h, under an advisory lock) and exits.  Needs only
 * DATABASE_URL (and LOG_LEVEL).  Exit 0 when the schema is current, 1 on an
 * error (the log line says what to do), 64 on a bad flag.
 */
#include "service/commands.h"

#include "common/log.h"
#include "service/config.h"
#include "storage/db_pool.h"
#include "storage/migrations.h"

#include <stdio.h>
#include <string.h>

int cmd_migrate(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: azure-integration migrate\n"
                   "  applies pending database migrations (DATABASE_URL) and exits\n");
            return 0;
        }
        fprintf(stderr, "azure-integration migrate: unknown option '%s'\n"
                        "usage: azure-integration migrate   (configured by DATABASE_URL)\n",
                argv[i]);
        return 64;
    }
    err_info err = {0};
    char buf[800];
    int rc = 1;
    db_pool *pool = NULL;
    service_config *cfg = config_load(NULL, false, &err);
    if (!cfg)
        goto out;
    log_set_level(config_log_level(cfg));
    db_pool_options po = {.url = config_database_url(cfg), .size = 1};
    if (!(pool = db_pool_new(&po, &err)))
        goto out;
    int applied = 0;
    if (migrations_apply(pool, &applied, &err) != 0)
        goto out;
    size_t total = 0;
    migrations_builtin(&total);
    char a[16], t[16];
    snprintf(a, sizeof a, "%d", applied);
    snprintf(t, sizeof t, "%zu", total);
    log_kv(LOG_INFO, "migrations are current", "applied", a, "known", t, NULL);
    rc = 0;
out:
    if (rc != 0)
        log_kv(LOG_ERROR, "migrate failed", "error", err_describe(&err, buf, sizeof buf), NULL);
    db_pool_free(pool);
    config_free(cfg);
    return rc;
}

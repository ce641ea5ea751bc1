/*
 * cmd_serve: the `serve` command: HTTP API plus worker pool (service/serve.h);
 * configuration from the environment (service/config.h).
 */
#include "service/commands.h"

#include "common/log.h"
#include "service/config.h"
#include "service/serve.h"

#include <stdio.h>
#include <string.h>

int cmd_serve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: azure-integration serve\n"
                   "  HTTP API and worker pool; applies pending migrations first.\n"
                   "  Configured by environment variables (see README: DATABASE_URL,\n"
                   "  WEBHOOK_SECRET, CONFIG_ENCRYPTION_KEY, HTTP_ADDR, WORKER_THREADS, ...).\n"
                   "  SIGTERM / SIGINT drain and exit within 30 s.\n");
            return 0;
        }
        fprintf(stderr, "azure-integration serve: unknown option '%s'\n"
                        "usage: azure-integration serve   (configured by environment)\n",
                argv[i]);
        return 64;
    }
    err_info err = {0};
    service_config *cfg = config_load(NULL, true, &err);
    if (!cfg) {
        char buf[800];
        log_kv(LOG_ERROR, "configuration error", "error", err_describe(&err, buf, sizeof buf),
               NULL);
        return 1;
    }
    log_set_level(config_log_level(cfg));
    int rc = serve_run(cfg);
    config_free(cfg);
    return rc;
}

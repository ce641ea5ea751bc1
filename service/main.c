/*
 * main: command dispatch.  See service/commands.h; usage and exit codes per
 * docs/spec/service-contract.md (a bad flag prints usage and exits 64).
 */
#include "service/commands.h"
#include "service/memory.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: azure-integration <command> [options]\n"
            "\n"
            "commands:\n"
            "  serve      HTTP API and worker pool (applies pending migrations first)\n"
            "  migrate    apply pending database migrations and exit\n"
            "  collect    run one ingestion in-process: --config FILE --output DIR\n"
            "  document   print the data-model tables generated from the step table\n"
            "  --help     this text\n"
            "  --version  print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 64;
    }
    memory_tune();
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("azure-integration %s\n", AI_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 1, argv + 1);
    if (strcmp(cmd, "collect") == 0)
        return cmd_collect(argc - 1, argv + 1);
    if (strcmp(cmd, "document") == 0)
        return cmd_document(argc - 1, argv + 1);
    fprintf(stderr, "azure-integration: unknown command '%s'\n", cmd);
    usage(stderr);
    return 64;
}

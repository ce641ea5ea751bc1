/*
 * cmd_document: `azure-integration document` prints the data-model section
 * generated from the step table (engine/document.h), i.e. the README's text
 * between the J1_DOCUMENTATION markers.  Regenerate the README section with
 *   azure-integration document > /tmp/dm.md
 * and paste it between the markers.
 */
#include "service/commands.h"

#include "engine/document.h"
#include "engine/runner.h"
#include "steps/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_document(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("usage: azure-integration document\n"
                   "Prints the data-model tables generated from the step table.\n");
            return 0;
        }
        fprintf(stderr, "document: unexpected argument '%s'\nusage: azure-integration document\n",
                argv[1]);
        return 64;
    }
    size_t count = 0;
    const step_def *const *table = registry_steps(&count);
    err_info err = {0};
    if (runner_check_table(table, count, false, &err) != 0) {
        char buf[900];
        fprintf(stderr, "document: %s\n", err_describe(&err, buf, sizeof buf));
        return 1;
    }
    char *text = document_generate(table, count);
    if (!text) {
        fprintf(stderr, "document: out of memory\n");
        return 1;
    }
    fputs(text, stdout);
    free(text);
    return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * cmd_collect: the `collect` command (not yet written).
 */
#include "service/commands.h"

#include <stdio.h>

int cmd_collect(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "%s: not available in this build yet\n", argv[0]);
    return 1;
}

/*
 * main: command dispatch (serve | migrate | collect | document).
 * Owned by the service foundation; see service/commands.h.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("azure-integration %s\n", AI_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: azure-integration serve|migrate|collect|document|--help|--version\n");
    return 64;
}

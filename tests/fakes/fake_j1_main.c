/*
 * fake-j1: runs the fake JupiterOne synchronization API (fake_j1.h) until
 * SIGTERM/SIGINT, for the end-to-end benchmark and manual runs.
 *
 *   fake-j1 [--port N] [--api-key KEY] [--account ID] [--summary FILE] [--delay-ms N]
 *
 * Prints its base URL on stdout (one line, flushed); on SIGTERM/SIGINT writes
 * the JSON summary of what it received (objects per _type, duplicates,
 * finalizes, aborts, partial datasets) to --summary (or stdout) and exits 0.
 */
#include "fakes/fake_j1.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr, "usage: fake-j1 [--port N] [--api-key KEY] [--account ID] [--summary FILE] [--delay-ms N]\n");
}

int main(int argc, char **argv)
{
    fake_j1_options o = {0};
    fake_j1_faults faults = {0};
    const char *summary = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (strcmp(a, "--port") == 0)
            o.port = (uint16_t)atoi(v);
        else if (strcmp(a, "--api-key") == 0)
            o.api_key = v;
        else if (strcmp(a, "--account") == 0)
            o.account_id = v;
        else if (strcmp(a, "--summary") == 0)
            summary = v;
        else if (strcmp(a, "--delay-ms") == 0)
            faults.delay_ms = atoi(v);
        else {
            usage();
            return 2;
        }
        i++;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);  /* server threads inherit the mask */
    fake_j1 *f = fake_j1_start(&o);
    if (!f)
        return 1;
    fake_j1_set_faults(f, &faults);
    printf("%s\n", fake_j1_url(f));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    char *json = fake_j1_summary_json(f);
    fake_j1_stop(f);
    int rc = 0;
    FILE *out = summary ? fopen(summary, "w") : stdout;
    if (!out || !json || fprintf(out, "%s\n", json) < 0) {
        fprintf(stderr, "fake-j1: cannot write the summary\n");
        rc = 1;
    }
    if (out && out != stdout && fclose(out) != 0)
        rc = 1;
    free(json);
    return rc;
}

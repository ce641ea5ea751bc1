/*
 * fake-azure: the fake Azure server as a process, for benchmarks and
 * manual runs.
 *
 *   fake-azure [--port N] [--har FILE|DIR]... [--latency-ms N] [--throttle]
 *              [--generate users=N,groups=N,members=N,sps=N,subscriptions=N,
 *                          resourcegroups=N,resources=N]
 *
 * Prints its base URL on the first line of stdout (then flushes), serves
 * until SIGINT/SIGTERM or until stdin reaches end of file (so a parent that
 * dies takes it down), then prints request counters on stderr.
 */
#include "fakes/fake_azure.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static int parse_int(const char *s, int *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v < 0 || v > 100000000) return -1;
    *out = (int)v;
    return 0;
}

static int parse_generate(char *spec, fake_azure_tenant *t) {
    static const struct {
        const char *name;
        size_t off;
    } keys[] = {
        {"users", offsetof(fake_azure_tenant, users)},
        {"groups", offsetof(fake_azure_tenant, groups)},
        {"members", offsetof(fake_azure_tenant, members)},
        {"sps", offsetof(fake_azure_tenant, service_principals)},
        {"subscriptions", offsetof(fake_azure_tenant, subscriptions)},
        {"resourcegroups", offsetof(fake_azure_tenant, resource_groups)},
        {"resources", offsetof(fake_azure_tenant, resources)},
    };
    for (char *kv = strtok(spec, ","); kv; kv = strtok(NULL, ",")) {
        char *eq = strchr(kv, '=');
        if (!eq) return -1;
        *eq = '\0';
        size_t i = 0;
        for (; i < sizeof keys / sizeof keys[0]; i++)
            if (strcmp(kv, keys[i].name) == 0) break;
        if (i == sizeof keys / sizeof keys[0]) return -1;
        if (parse_int(eq + 1, (int *)((char *)t + keys[i].off)) != 0) return -1;
    }
    return 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: fake-azure [--port N] [--har FILE|DIR]... [--latency-ms N] [--throttle]\n"
            "                  [--generate users=N,groups=N,members=N,sps=N,subscriptions=N,\n"
            "                              resourcegroups=N,resources=N]\n");
}

int main(int argc, char **argv) {
    fake_azure_options opts = {0};
    fake_azure_tenant tenant = {0};
    bool generate = false;
    const char *hars[64];
    size_t nhars = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int n;
        if (strcmp(a, "--throttle") == 0) {
            opts.throttle = true;
        } else if (strcmp(a, "--har") == 0 && v && nhars < 64) {
            hars[nhars++] = v;
            i++;
        } else if (strcmp(a, "--latency-ms") == 0 && v && parse_int(v, &n) == 0) {
            opts.latency_ms = n;
            i++;
        } else if (strcmp(a, "--port") == 0 && v && parse_int(v, &n) == 0 && n < 65536) {
            opts.port = (uint16_t)n;
            i++;
        } else if (strcmp(a, "--generate") == 0 && v) {
            char *spec = strdup(v);
            int rc = spec ? parse_generate(spec, &tenant) : -1;
            free(spec);
            if (rc != 0) {
                usage();
                return 2;
            }
            generate = true;
            i++;
        } else {
            usage();
            return 2;
        }
    }
    fake_azure *f = fake_azure_start(&opts);
    if (!f) return 1;
    for (size_t i = 0; i < nhars; i++) {
        struct stat st;
        int r = stat(hars[i], &st) == 0 && S_ISDIR(st.st_mode) ? fake_azure_load_dir(f, hars[i])
                                                                : fake_azure_load_har(f, hars[i]);
        if (r < 0) {
            fake_azure_stop(f);
            return 1;
        }
        fprintf(stderr, "fake-azure: %d entries from %s\n", r, hars[i]);
    }
    if (generate && fake_azure_generate(f, &tenant) != 0) {
        fake_azure_stop(f);
        return 1;
    }
    printf("%s\n", fake_azure_url(f));
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bool watch_stdin = !isatty(STDIN_FILENO);
    while (!stop_requested) {
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        int r = poll(&p, watch_stdin ? 1 : 0, 200);
        if (r > 0 && watch_stdin) {
            char buf[256];
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0) break; /* parent gone */
        }
    }
    fake_azure_counts c;
    fake_azure_get_counts(f, &c);
    fprintf(stderr,
            "fake-azure: %lld requests (%lld token, %lld Graph $batch holding %lld), %lld "
            "throttled, %lld faults, max in flight %d, %zu unmatched\n",
            (long long)c.requests, (long long)c.token_requests, (long long)c.batch_requests,
            (long long)c.batched, (long long)c.throttled,
            (long long)c.faults, c.max_in_flight, fake_azure_unmatched_count(f));
    for (size_t i = 0; i < fake_azure_unmatched_count(f) && i < 20; i++) {
        char u[1024];
        if (fake_azure_unmatched(f, i, u, sizeof u)) fprintf(stderr, "fake-azure: unmatched %s\n", u);
    }
    fake_azure_stop(f);
    return 0;
}

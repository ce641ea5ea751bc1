/*
 * graph_bench_fake: fake-azure as a child process (see graph_bench_fake.h).
 * The child reads its stdin: when we exit or close the pipe, it ends too.
 */
#include "graph_bench_fake.h"

#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int start(bench_fake *f, const char *bin, const char *generate, int latency_ms,
                 bool throttle);

int bench_fake_start(bench_fake *f, const char *bin, const char *generate, int latency_ms) {
    return start(f, bin, generate, latency_ms, false);
}

int bench_fake_start_throttled(bench_fake *f, const char *bin, const char *generate,
                               int latency_ms) {
    return start(f, bin, generate, latency_ms, true);
}

static int start(bench_fake *f, const char *bin, const char *generate, int latency_ms,
                 bool throttle) {
    memset(f, 0, sizeof *f);
    f->pid = -1;
    f->stdin_w = -1;
    char path[PATH_MAX];
    if (bin) {
        snprintf(path, sizeof path, "%s", bin);
    } else {
        char self[PATH_MAX - 64];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) return -1;
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) *slash = '\0';
        snprintf(path, sizeof path, "%s/../tests/fakes/fake-azure", self);
    }
    char lat[32];
    snprintf(lat, sizeof lat, "%d", latency_ms);
    char *argv[] = {"fake-azure", "--generate", (char *)generate, "--latency-ms", lat,
                    throttle ? "--throttle" : NULL, NULL};
    int in[2], out[2];
    if (pipe(in) != 0) return -1;
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    int rc = posix_spawn(&f->pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        fprintf(stderr, "bench: cannot start %s: %s\n", path, strerror(rc));
        close(in[1]);
        close(out[0]);
        f->pid = -1;
        return -1;
    }
    f->stdin_w = in[1];
    FILE *fp = fdopen(out[0], "r");
    bool ok = fp && fgets(f->url, sizeof f->url, fp);
    if (fp) fclose(fp);
    else close(out[0]);
    if (!ok) {
        fprintf(stderr, "bench: fake-azure did not print its URL\n");
        bench_fake_stop(f);
        return -1;
    }
    f->url[strcspn(f->url, "\r\n")] = '\0';
    return 0;
}

void bench_fake_stop(bench_fake *f) {
    if (f->stdin_w >= 0) close(f->stdin_w);
    f->stdin_w = -1;
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
    }
    f->pid = -1;
}

void bench_usage(double *cpu_s, double *peak_rss_mb) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    *peak_rss_mb = (double)ru.ru_maxrss / 1024.0;
}

double bench_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * graph_bench_fake: starts fake-azure as a child process for the graph
 * benchmarks (so that CPU time and peak RSS measured are the client's).
 */
#ifndef AI_BENCH_GRAPH_BENCH_FAKE_H
#define AI_BENCH_GRAPH_BENCH_FAKE_H

#include <stddef.h>
#include <sys/types.h>

typedef struct bench_fake {
    pid_t pid;
    int stdin_w;     /* closing it ends the fake */
    char url[128];
} bench_fake;

/* bin NULL: fake-azure next to this binary's build tree
 * (<build>/tests/fakes/fake-azure).  Returns 0 or -1 (message on stderr). */
int bench_fake_start(bench_fake *f, const char *bin, const char *generate, int latency_ms);
/* The same with Azure's read throttling on (fake-azure --throttle). */
int bench_fake_start_throttled(bench_fake *f, const char *bin, const char *generate,
                               int latency_ms);
void bench_fake_stop(bench_fake *f);

/* CPU seconds (user + sys) and peak RSS (MB) of this process. */
void bench_usage(double *cpu_s, double *peak_rss_mb);
double bench_now_s(void);

#endif

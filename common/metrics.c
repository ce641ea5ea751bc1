/*
 * metrics: see metrics.h.
 *
 * The registry is a small array of metric families, each with a linked list
 * of series, under one mutex.  Series count is bounded by label cardinality
 * (routes, statuses, APIs), i.e. tens, so linear search is fine and keeps
 * the code obvious.
 */
#include "common/metrics.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BUCKETS 16

struct series {
    struct series *next;
    char *labels;
    double value;                    /* counter / gauge; histogram: sum */
    unsigned long long count;        /* histogram */
    unsigned long long buckets[MAX_BUCKETS];
};

struct family {
    char *name;
    char *help;
    metric_type type;
    double bounds[MAX_BUCKETS];
    size_t nbounds;
    struct series *series;
    struct series *last;             /* the series found last (most calls repeat it) */
};

struct collector {
    metrics_collect_fn fn;
    void *arg;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct family *g_families;
static size_t g_count, g_cap;
static struct collector g_collectors[16];
static size_t g_ncollectors;

static const double default_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                         1, 2.5, 5, 10, 30, 60, 300, 900, 3600};

/* The family looked up last on this thread: one strcmp instead of a scan
 * on the hot path (a request counted per Azure call).  g_lock held. */
static _Thread_local size_t t_last_family = SIZE_MAX;

static struct family *find_family(const char *name)
{
    if (t_last_family < g_count && strcmp(g_families[t_last_family].name, name) == 0)
        return &g_families[t_last_family];
    for (size_t i = 0; i < g_count; i++)
        if (strcmp(g_families[i].name, name) == 0) {
            t_last_family = i;
            return &g_families[i];
        }
    return NULL;
}

void metrics_declare(const char *name, metric_type type, const char *help, const double *buckets,
                     size_t n)
{
    pthread_mutex_lock(&g_lock);
    if (find_family(name)) {
        pthread_mutex_unlock(&g_lock);
        return;
    }
    if (g_count == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 16;
        struct family *p = realloc(g_families, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&g_lock);
            return;
        }
        g_families = p;
        g_cap = cap;
    }
    struct family *f = &g_families[g_count];
    memset(f, 0, sizeof *f);
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    f->type = type;
    if (!f->name || !f->help) {
        free(f->name);
        free(f->help);
        pthread_mutex_unlock(&g_lock);
        return;
    }
    if (type == METRIC_HISTOGRAM) {
        if (!buckets) {
            buckets = default_buckets;
            n = sizeof default_buckets / sizeof default_buckets[0];
        }
        f->nbounds = n > MAX_BUCKETS ? MAX_BUCKETS : n;
        memcpy(f->bounds, buckets, f->nbounds * sizeof(double));
    }
    g_count++;
    pthread_mutex_unlock(&g_lock);
}

static struct series *find_series(struct family *f, const char *labels)
{
    const char *l = labels ? labels : "";
    if (f->last && strcmp(f->last->labels, l) == 0)
        return f->last;
    for (struct series *s = f->series; s; s = s->next)
        if (strcmp(s->labels, l) == 0)
            return f->last = s;
    struct series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->labels = strdup(l);
    if (!s->labels) {
        free(s);
        return NULL;
    }
    s->next = f->series;
    f->series = s;
    return f->last = s;
}

static void record(const char *name, const char *labels, double value, metric_type type)
{
    pthread_mutex_lock(&g_lock);
    struct family *f = find_family(name);
    struct series *s = (f && f->type == type) ? find_series(f, labels) : NULL;
    if (s) {
        if (type == METRIC_COUNTER) {
            s->value += value;
        } else if (type == METRIC_GAUGE) {
            s->value = value;
        } else {
            s->value += value;
            s->count++;
            for (size_t i = 0; i < f->nbounds; i++)
                if (value <= f->bounds[i])
                    s->buckets[i]++;
        }
    }
    pthread_mutex_unlock(&g_lock);
}

void metrics_counter_add(const char *name, const char *labels, double value)
{
    record(name, labels, value, METRIC_COUNTER);
}

void metrics_gauge_set(const char *name, const char *labels, double value)
{
    record(name, labels, value, METRIC_GAUGE);
}

void metrics_histogram_observe(const char *name, const char *labels, double value)
{
    record(name, labels, value, METRIC_HISTOGRAM);
}

void metrics_on_scrape(metrics_collect_fn fn, void *arg)
{
    pthread_mutex_lock(&g_lock);
    if (g_ncollectors < sizeof g_collectors / sizeof g_collectors[0])
        g_collectors[g_ncollectors++] = (struct collector){fn, arg};
    pthread_mutex_unlock(&g_lock);
}

static void put_labels(sbuf *out, const char *labels, const char *extra)
{
    bool has = labels && labels[0];
    if (!has && !extra)
        return;
    sbuf_putc(out, '{');
    if (has)
        sbuf_puts(out, labels);
    if (extra) {
        if (has)
            sbuf_putc(out, ',');
        sbuf_puts(out, extra);
    }
    sbuf_putc(out, '}');
}

void metrics_render(sbuf *out)
{
    struct collector collectors[16];
    pthread_mutex_lock(&g_lock);
    size_t nc = g_ncollectors;
    memcpy(collectors, g_collectors, nc * sizeof collectors[0]);
    pthread_mutex_unlock(&g_lock);
    for (size_t i = 0; i < nc; i++)
        collectors[i].fn(collectors[i].arg);

    static const char *type_names[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_count; i++) {
        struct family *f = &g_families[i];
        sbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                    type_names[f->type]);
        for (struct series *s = f->series; s; s = s->next) {
            if (f->type != METRIC_HISTOGRAM) {
                sbuf_puts(out, f->name);
                put_labels(out, s->labels, NULL);
                sbuf_printf(out, " %.17g\n", s->value);
                continue;
            }
            for (size_t b = 0; b < f->nbounds; b++) {
                char le[48];
                snprintf(le, sizeof le, "le=\"%g\"", f->bounds[b]);
                sbuf_printf(out, "%s_bucket", f->name);
                put_labels(out, s->labels, le);
                sbuf_printf(out, " %llu\n", s->buckets[b]);
            }
            sbuf_printf(out, "%s_bucket", f->name);
            put_labels(out, s->labels, "le=\"+Inf\"");
            sbuf_printf(out, " %llu\n%s_sum", s->count, f->name);
            put_labels(out, s->labels, NULL);
            sbuf_printf(out, " %.17g\n%s_count", s->value, f->name);
            put_labels(out, s->labels, NULL);
            sbuf_printf(out, " %llu\n", s->count);
        }
    }
    pthread_mutex_unlock(&g_lock);
}

void metrics_escape_label(sbuf *out, const char *value)
{
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\')
            sbuf_puts(out, "\\\\");
        else if (*p == '"')
            sbuf_puts(out, "\\\"");
        else if (*p == '\n')
            sbuf_puts(out, "\\n");
        else
            sbuf_putc(out, *p);
    }
}

void metrics_reset(void)
{
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_count; i++) {
        struct series *s = g_families[i].series;
        while (s) {
            struct series *next = s->next;
            free(s->labels);
            free(s);
            s = next;
        }
        free(g_families[i].name);
        free(g_families[i].help);
    }
    free(g_families);
    g_families = NULL;
    g_count = g_cap = 0;
    g_ncollectors = 0;
    pthread_mutex_unlock(&g_lock);
}

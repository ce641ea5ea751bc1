/*
 * metrics: the process-wide registry behind GET /metrics.
 *
 * Any layer may count things (Azure requests by API and status, upload
 * batches, HTTP requests by route); the HTTP handler renders the registry in
 * Prometheus text format.  A series is a metric name plus a pre-formatted
 * label string (`api="arm",status="200"`; values must already be escaped
 * with metrics_escape_label when they come from outside).  Metric names are
 * declared once with their type and help text; recording to an undeclared
 * name is ignored (so a typo cannot create a series silently... and tests
 * catch it through the rendered output).
 */
#ifndef AI_COMMON_METRICS_H
#define AI_COMMON_METRICS_H

#include "common/sbuf.h"

#include <stddef.h>

typedef enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM } metric_type;

/* Declares a metric.  For histograms, `buckets` are the upper bounds
 * (ascending, count n); NULL uses default latency buckets in seconds. */
void metrics_declare(const char *name, metric_type type, const char *help,
                     const double *buckets, size_t n);

void metrics_counter_add(const char *name, const char *labels, double value);
void metrics_gauge_set(const char *name, const char *labels, double value);
void metrics_histogram_observe(const char *name, const char *labels, double value);

/* Gauges computed at scrape time (e.g. queue depth read from the database):
 * fn writes series with metrics_gauge_set. */
typedef void (*metrics_collect_fn)(void *arg);
void metrics_on_scrape(metrics_collect_fn fn, void *arg);

/* Renders every declared metric in Prometheus text format 0.0.4. */
void metrics_render(sbuf *out);

/* Escapes a label value (backslash, quote, newline) into out. */
void metrics_escape_label(sbuf *out, const char *value);

/* Frees the registry (tests, process exit). */
void metrics_reset(void);

#endif

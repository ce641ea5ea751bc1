/*
 * azure_client: the public face of the Azure access layer (interface and
 * behaviour in azure_client.h).  This file only glues the modules:
 *
 *   azure_endpoints  which hosts (cloud table + environment)
 *   azure_http       libcurl exchange, shared connections/TLS/DNS
 *   azure_token      client-credentials tokens, single-flight refresh
 *   azure_retry      what to do with an answer; Retry-After; backoff
 *   azure_pacing     ARM read token bucket per subscription
 *   azure_paging     next links, repeated-link guard
 *   azure_error      error answers → err_info with a hint
 *
 * Concurrency bound: a gate per API (mutex + condition variable counting
 * requests in flight); every HTTP exchange of the API passes through it,
 * whichever thread or helper sends it, so the bound holds for the whole job.
 * Token requests do not take a slot (they would deadlock a full gate).
 *
 * azure_list_many / azure_get_many keep up to `bound` requests in flight.
 * Resource Manager (and unbatched Graph) lists are read by an event loop in
 * the calling thread over one libcurl multi handle (run_loop): a paced
 * burst of reads costs one wake-up of one thread, and pages go straight to
 * the step's callback.  Batched Graph lists (first pages 20 to a $batch
 * request) use up to `bound` worker threads; their pages go through a
 * bounded queue and are handed to the callback one at a time by whichever
 * thread finds the queue idle.  Memory stays bounded by (workers + queue)
 * pages (a batch answer counts as one) whatever the number of lists.
 */
#include "azure/azure_client.h"

#include "azure/azure_endpoints.h"
#include "azure/azure_error.h"
#include "azure/azure_http.h"
#include "azure/azure_interleave.h"
#include "azure/azure_pacing.h"
#include "azure/azure_paging.h"
#include "azure/azure_retry.h"
#include "azure/azure_token.h"
#include "common/json.h"
#include "common/json_arena.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/random.h"
#include "common/sbuf.h"
#include "common/timefmt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ARM_READ_BURST 250.0
#define ARM_READ_REFILL_PER_S 25.0
/* Paced reads leave in bursts on a 200 ms grid (azure_pacing.h): one
 * wake-up per burst instead of per read, at most 200 ms later. */
#define ARM_READ_RELEASE_MS 200
#define STORAGE_RESOURCE "https://storage.azure.com"
#define MANY_QUEUE_PER_WORKER 2
/* Lists answered 404 logged as warnings per client (the rest: debug) */
#define AZURE_ABSENT_WARNINGS 5

/* Graph JSON batching: at most 20 requests per $batch */
#define GRAPH_BATCH_MAX 20

typedef struct api_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int in_flight;
    int limit;
} api_gate;

struct azure_client {
    azure_endpoints ep;
    azure_client_options opts;
    atomic_bool cancelled;
    pthread_mutex_t sleep_mu;   /* pacing / backoff waits: one timed wait, woken by cancel */
    pthread_cond_t sleep_cv;    /* CLOCK_MONOTONIC */
    azure_http *http;
    azure_token_cache *tokens;
    azure_pacing *pacing;
    api_gate gates[AZURE_API_COUNT];
    atomic_llong requests[AZURE_API_COUNT];
    atomic_llong throttled[AZURE_API_COUNT];
    atomic_llong retries[AZURE_API_COUNT];
    atomic_llong absent_lists[AZURE_API_COUNT];
};

static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void declare_metrics(void) {
    metrics_declare("azure_requests_total", METRIC_COUNTER,
                    "HTTP requests sent to Azure, by API and status (\"error\" = no answer)",
                    NULL, 0);
    metrics_declare("azure_throttled_total", METRIC_COUNTER,
                    "Azure answers 429/503 (throttled), by API", NULL, 0);
    metrics_declare("azure_retries_total", METRIC_COUNTER, "Azure requests retried, by API",
                    NULL, 0);
}

static bool cancelled(const azure_client *c) { return atomic_load(&c->cancelled); }

/* Waits ms (pacing, backoff, Retry-After) in one timed wait that
 * azure_client_cancel() cuts short: no periodic wake-ups, which cost
 * measurable CPU when dozens of requests queue behind a throttled bucket. */
static void sleep_ms(azure_client *c, int64_t ms) {
    if (ms <= 0) return;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->sleep_mu);
    while (!cancelled(c) && pthread_cond_timedwait(&c->sleep_cv, &c->sleep_mu, &dl) == 0) {
    }
    pthread_mutex_unlock(&c->sleep_mu);
}

int azure_client_new(const azure_endpoints *endpoints, const azure_credentials *credentials,
                     const azure_client_options *opts, azure_client **out, err_info *err) {
    *out = NULL;
    if (!endpoints || !credentials || !credentials->directory_id || !credentials->client_id ||
        !credentials->client_secret || !*credentials->directory_id ||
        !*credentials->client_id || !*credentials->client_secret)
        return err_set(err, ERR_INVALID, "Azure credentials are incomplete");
    static const struct {
        size_t off;
        const char *what;
    } urls[] = {{offsetof(azure_endpoints, authority_host), "AZURE_AUTHORITY_HOST"},
                {offsetof(azure_endpoints, graph), "AZURE_GRAPH_ENDPOINT"},
                {offsetof(azure_endpoints, resource_manager), "AZURE_RESOURCE_MANAGER_ENDPOINT"}};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        if (azure_url_check((const char *)endpoints + urls[i].off, urls[i].what, err) != 0)
            return -1;

    pthread_once(&metrics_once, declare_metrics);
    azure_client *c = calloc(1, sizeof *c);
    if (!c) return err_set(err, ERR_NOMEM, "out of memory creating the Azure client");
    c->ep = *endpoints;
    if (opts) c->opts = *opts;
    if (c->opts.max_concurrency_per_api <= 0) c->opts.max_concurrency_per_api = 8;
    if (c->opts.max_attempts <= 0) c->opts.max_attempts = 5;
    if (c->opts.graph_batch_max <= 0 || c->opts.graph_batch_max > GRAPH_BATCH_MAX)
        c->opts.graph_batch_max = GRAPH_BATCH_MAX;
    if (c->opts.connect_timeout_ms <= 0) c->opts.connect_timeout_ms = 10000;
    if (c->opts.low_speed_timeout_s <= 0) c->opts.low_speed_timeout_s = 60;
    if (c->opts.max_retry_wait_ms <= 0) c->opts.max_retry_wait_ms = 60000;
    atomic_init(&c->cancelled, false);
    pthread_mutex_init(&c->sleep_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->sleep_cv, &ca);
    pthread_condattr_destroy(&ca);
    for (int i = 0; i < AZURE_API_COUNT; i++) {
        pthread_mutex_init(&c->gates[i].mu, NULL);
        pthread_cond_init(&c->gates[i].cv, NULL);
        c->gates[i].limit = c->opts.max_concurrency_per_api;
        atomic_init(&c->requests[i], 0);
        atomic_init(&c->throttled[i], 0);
        atomic_init(&c->retries[i], 0);
    }
    azure_http_options ho = {.connect_timeout_ms = c->opts.connect_timeout_ms,
                             .low_speed_timeout_s = c->opts.low_speed_timeout_s,
                             .cancelled = &c->cancelled};
    c->http = azure_http_new(&ho);
    azure_token_config tc = {.authority = c->ep.authority_host,
                             .directory_id = credentials->directory_id,
                             .client_id = credentials->client_id,
                             .client_secret = credentials->client_secret,
                             .max_attempts = c->opts.max_attempts,
                             .max_retry_wait_ms = c->opts.max_retry_wait_ms,
                             .cancelled = &c->cancelled};
    c->tokens = c->http ? azure_token_cache_new(c->http, &tc) : NULL;
    /* One pacing per principal and endpoint for the whole process: jobs
     * of several instances using one app registration share Azure's read
     * budgets. */
    c->pacing = azure_pacing_shared(credentials->directory_id, credentials->client_id,
                                    c->ep.resource_manager, ARM_READ_BURST,
                                    ARM_READ_REFILL_PER_S, ARM_READ_RELEASE_MS);
    if (!c->http || !c->tokens || !c->pacing) {
        azure_client_free(c);
        return err_set(err, ERR_NOMEM, "cannot initialise the Azure client (libcurl)");
    }
    *out = c;
    return 0;
}

void azure_client_free(azure_client *c) {
    if (!c) return;
    azure_token_cache_free(c->tokens);
    azure_http_free(c->http);
    azure_pacing_release(c->pacing);
    for (int i = 0; i < AZURE_API_COUNT; i++) {
        pthread_cond_destroy(&c->gates[i].cv);
        pthread_mutex_destroy(&c->gates[i].mu);
    }
    pthread_cond_destroy(&c->sleep_cv);
    pthread_mutex_destroy(&c->sleep_mu);
    free(c);
}

void azure_client_cancel(azure_client *c) {
    atomic_store(&c->cancelled, true);
    pthread_mutex_lock(&c->sleep_mu);
    pthread_cond_broadcast(&c->sleep_cv);
    pthread_mutex_unlock(&c->sleep_mu);
    for (int i = 0; i < AZURE_API_COUNT; i++) {
        pthread_mutex_lock(&c->gates[i].mu);
        pthread_cond_broadcast(&c->gates[i].cv);
        pthread_mutex_unlock(&c->gates[i].mu);
    }
}

void azure_client_stats(const azure_client *c, azure_stats *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < AZURE_API_COUNT; i++) {
        out->requests[i] = atomic_load(&((azure_client *)c)->requests[i]);
        out->throttled[i] = atomic_load(&((azure_client *)c)->throttled[i]);
        out->retries[i] = atomic_load(&((azure_client *)c)->retries[i]);
        out->absent_lists[i] = atomic_load(&((azure_client *)c)->absent_lists[i]);
    }
}

const azure_endpoints *azure_client_endpoints(const azure_client *c) { return &c->ep; }

static const char *resource_of(const azure_client *c, azure_api api) {
    switch (api) {
    case AZURE_API_GRAPH: return c->ep.graph;
    case AZURE_API_ARM: return c->ep.resource_manager;
    default: return STORAGE_RESOURCE;
    }
}

int azure_client_authenticate(azure_client *c, azure_api api, err_info *err) {
    if ((int)api < 0 || api >= AZURE_API_COUNT)
        return err_set(err, ERR_INVALID, "unknown Azure API %d", (int)api);
    char *token = NULL;
    int rc = azure_token_get(c->tokens, resource_of(c, api), &token, err);
    free(token);
    return rc;
}

/* True when url starts with base and continues with '/', '?' or ends. */
static bool has_base(const char *url, const char *base) {
    size_t n = strlen(base);
    return strncasecmp(url, base, n) == 0 &&
           (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

/* Full URL of a path or absolute link.  An absolute URL of Graph or ARM must
 * stay on that API's host: a nextLink elsewhere would receive our token. */
static int build_url(const azure_client *c, azure_api api, const char *path, sbuf *url,
                     err_info *err) {
    if (strncasecmp(path, "https://", 8) == 0 || strncasecmp(path, "http://", 7) == 0) {
        if (azure_url_check(path, "an Azure link", err) != 0) return -1;
        if (api != AZURE_API_DATA && !has_base(path, resource_of(c, api))) {
            err_set(err, ERR_UPSTREAM, "%s returned a link to another host (%.120s)",
                    azure_api_name(api), path);
            return err_hint(err, "check the endpoint settings (AZURE_GRAPH_ENDPOINT, "
                                 "AZURE_RESOURCE_MANAGER_ENDPOINT)");
        }
        sbuf_puts(url, path);
    } else if (api == AZURE_API_DATA) {
        return err_set(err, ERR_INVALID, "storage data-plane requests need an absolute URL");
    } else {
        sbuf_puts(url, resource_of(c, api));
        if (api == AZURE_API_GRAPH) sbuf_puts(url, "/v1.0");
        if (path[0] != '/') sbuf_putc(url, '/');
        sbuf_puts(url, path);
    }
    return sbuf_failed(url) ? err_set(err, ERR_NOMEM, "out of memory building a URL") : 0;
}

static void gate_enter(azure_client *c, azure_api api) {
    api_gate *g = &c->gates[api];
    pthread_mutex_lock(&g->mu);
    while (g->in_flight >= g->limit && !cancelled(c)) pthread_cond_wait(&g->cv, &g->mu);
    g->in_flight++;
    pthread_mutex_unlock(&g->mu);
}

/* gate_enter without waiting: false when the API's bound is reached. */
static bool gate_try_enter(azure_client *c, azure_api api) {
    api_gate *g = &c->gates[api];
    pthread_mutex_lock(&g->mu);
    bool ok = g->in_flight < g->limit;
    if (ok) g->in_flight++;
    pthread_mutex_unlock(&g->mu);
    return ok;
}

static void gate_leave(azure_client *c, azure_api api) {
    api_gate *g = &c->gates[api];
    pthread_mutex_lock(&g->mu);
    g->in_flight--;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* `api="arm",status="200"` (or status="error"), assembled without
 * snprintf: this runs once per Azure request. */
static void request_labels(char out[64], azure_api api, int status) {
    const char *label = azure_api_label(api);
    size_t n = strlen(label);
    char *o = out;
    memcpy(o, "api=\"", 5);
    o += 5;
    memcpy(o, label, n < 24 ? n : 24);
    o += n < 24 ? n : 24;
    memcpy(o, "\",status=\"", 10);
    o += 10;
    if (status > 0) {
        char digits[12];
        int nd = 0;
        for (int v = status; v > 0; v /= 10) digits[nd++] = (char)('0' + v % 10);
        while (nd > 0) *o++ = digits[--nd];
    } else {
        memcpy(o, "error", 5);
        o += 5;
    }
    *o++ = '"';
    *o = '\0';
}

static void count_request(azure_client *c, azure_api api, int status) {
    atomic_fetch_add(&c->requests[api], 1);
    char labels[64];
    request_labels(labels, api, status);
    metrics_counter_add("azure_requests_total", labels, 1);
    if (status == 429 || status == 503) {
        atomic_fetch_add(&c->throttled[api], 1);
        snprintf(labels, sizeof labels, "api=\"%s\"", azure_api_label(api));
        metrics_counter_add("azure_throttled_total", labels, 1);
    }
}

/* One request's attempts: its URL, token and headers, and how many times
 * it was sent.  Shared by do_request (one thread, blocking) and the event
 * loop of run_loop (many requests, one thread). */
typedef struct req_state {
    azure_api api;
    const char *post_body;
    sbuf url;
    sbuf auth;
    char *token;
    char scope[64];                 /* ARM pacing scope */
    char request_id[37 + 24];
    const char *headers[6];
    int attempt;
    bool refreshed;                 /* the token was refreshed after a 401 */
} req_state;

static int req_init(azure_client *c, azure_api api, const char *path, const char *post_body,
                    req_state *rs, err_info *err) {
    memset(rs, 0, sizeof *rs);
    rs->api = api;
    rs->post_body = post_body;
    rs->attempt = 1;
    sbuf_init(&rs->url);
    sbuf_init(&rs->auth);
    if ((int)api < 0 || api >= AZURE_API_COUNT)
        return err_set(err, ERR_INVALID, "unknown Azure API %d", (int)api);
    if (build_url(c, api, path, &rs->url, err) != 0) return -1;
    if (api == AZURE_API_ARM) azure_pacing_scope_of(sbuf_str(&rs->url), rs->scope, sizeof rs->scope);
    return 0;
}

/* Wipes the token and frees what rs holds. */
static void req_clear(req_state *rs) {
    if (rs->auth.data) memset(rs->auth.data, 0, rs->auth.len);
    sbuf_free(&rs->auth);
    sbuf_free(&rs->url);
    if (rs->token) {
        memset(rs->token, 0, strlen(rs->token));
        free(rs->token);
        rs->token = NULL;
    }
}

/* A token and the headers for the next attempt. */
static int req_headers(azure_client *c, req_state *rs, err_info *err) {
    if (rs->token) {
        memset(rs->token, 0, strlen(rs->token));
        free(rs->token);
        rs->token = NULL;
    }
    if (azure_token_get(c->tokens, resource_of(c, rs->api), &rs->token, err) != 0) return -1;
    if (rs->auth.data) memset(rs->auth.data, 0, rs->auth.len);
    sbuf_reset(&rs->auth);
    sbuf_puts(&rs->auth, "Authorization: Bearer ");
    sbuf_puts(&rs->auth, rs->token);
    memcpy(rs->request_id, "x-ms-client-request-id: ", 24);
    random_uuid_weak(rs->request_id + 24);
    /* Storage answers XML: no JSON Accept there, but a service version
     * (required with OAuth tokens). */
    memset(rs->headers, 0, sizeof rs->headers);
    rs->headers[0] = sbuf_str(&rs->auth);
    rs->headers[1] = rs->request_id;
    if (rs->api == AZURE_API_DATA) {
        rs->headers[2] = "x-ms-version: 2021-08-06";
    } else {
        rs->headers[2] = "Accept: application/json";
        if (rs->api == AZURE_API_ARM) rs->headers[3] = "Accept-Language: en-US";
        else if (rs->post_body) rs->headers[3] = "Content-Type: application/json";
    }
    if (sbuf_failed(&rs->auth)) return err_set(err, ERR_NOMEM, "out of memory building a request");
    return 0;
}

static azure_http_request req_request(const req_state *rs) {
    return (azure_http_request){.method = rs->post_body ? "POST" : "GET",
                                .url = sbuf_str(&rs->url),
                                .headers = rs->headers,
                                .body = rs->post_body};
}

/* What follows an attempt. */
typedef enum req_next {
    REQ_DONE,    /* resp holds a 2xx answer */
    REQ_FAILED,  /* err says why (an error answer, cancelled, no memory) */
    REQ_AGAIN    /* send again after *wait ms */
} req_next;

/* Accounts for an attempt whose transfer returned r (resp and err as
 * azure_http_perform's) and decides what follows: the budget the answer
 * reports, a token refresh after a 401 (once, not counted as an attempt),
 * Retry-After or backoff, the error of a final answer. */
static req_next req_after(azure_client *c, req_state *rs, int r, azure_http_response *resp,
                          bool *subscription_missing, int64_t *wait, err_info *err) {
    azure_api api = rs->api;
    *wait = 0;
    count_request(c, api, r == 0 ? resp->status : 0);
    if (r != 0 && err->kind != ERR_NETWORK) return REQ_FAILED; /* cancelled, no memory */
    if (r == 0 && api == AZURE_API_ARM) {
        /* Subscription calls report the subscription's budget,
         * tenant-level calls (scope "") the tenant's. */
        int64_t left = rs->scope[0] ? resp->remaining_reads : resp->remaining_tenant_reads;
        if (left >= 0) azure_pacing_observe(c->pacing, rs->scope, left, azure_pacing_now_ms());
    }
    azure_retry_action action = r == 0 ? azure_retry_classify(resp->status)
                                       : AZURE_RETRY_BACKOFF;
    if (action == AZURE_RETRY_DONE) return REQ_DONE;
    if (action == AZURE_RETRY_REFRESH_TOKEN && !rs->refreshed) {
        rs->refreshed = true;
        azure_token_invalidate(c->tokens, resource_of(c, api), rs->token);
        atomic_fetch_add(&c->retries[api], 1);
        return REQ_AGAIN; /* a token refresh does not use up an attempt */
    }
    if (action == AZURE_RETRY_FAIL || action == AZURE_RETRY_REFRESH_TOKEN ||
        rs->attempt >= c->opts.max_attempts) {
        if (r == 0) {
            azure_error_from_response(api, resp->status, sbuf_str(&rs->url),
                                      sbuf_str(&resp->body), resp->body.len, err);
            if (subscription_missing)
                *subscription_missing = azure_error_subscription_missing(
                    api, resp->status, sbuf_str(&rs->url), sbuf_str(&resp->body),
                    resp->body.len);
        }
        if (rs->attempt > 1) err_prefix(err, "after %d attempts", rs->attempt);
        return REQ_FAILED;
    }
    int64_t w = -1;
    if (action == AZURE_RETRY_THROTTLED)
        w = timefmt_retry_after_ms(resp->retry_after, timefmt_now_ms() / 1000);
    if (w < 0) {
        int base = c->opts.max_retry_wait_ms < 500 ? c->opts.max_retry_wait_ms : 500;
        w = azure_retry_backoff_ms(rs->attempt, base, c->opts.max_retry_wait_ms);
    }
    if (w > c->opts.max_retry_wait_ms) w = c->opts.max_retry_wait_ms;
    atomic_fetch_add(&c->retries[api], 1);
    char labels[32];
    snprintf(labels, sizeof labels, "api=\"%s\"", azure_api_label(api));
    metrics_counter_add("azure_retries_total", labels, 1);
    log_debug("retrying an Azure request (attempt %d, status %d) in %lld ms", rs->attempt + 1,
              r == 0 ? resp->status : 0, (long long)w);
    rs->attempt++;
    *wait = w;
    return REQ_AGAIN;
}

/* One GET (or, with post_body, a POST of that JSON) with tokens, pacing,
 * the gate and retries.  On success resp holds a 2xx answer. */
static int do_request(azure_client *c, azure_api api, const char *path, const char *post_body,
                      azure_http_response *resp, bool *subscription_missing, err_info *err) {
    if (subscription_missing) *subscription_missing = false;
    int rc = -1;
    req_state rs;
    if (req_init(c, api, path, post_body, &rs, err) != 0) goto done;
    for (;;) {
        if (cancelled(c)) {
            err_set(err, ERR_CANCELLED, "job cancelled");
            goto done;
        }
        if (req_headers(c, &rs, err) != 0) goto done;
        if (api == AZURE_API_ARM) {
            int64_t wait = azure_pacing_acquire(c->pacing, rs.scope, azure_pacing_now_ms());
            if (wait > 0) sleep_ms(c, wait);
        }
        azure_http_request req = req_request(&rs);
        gate_enter(c, api);
        int r = azure_http_perform(c->http, &req, resp, err);
        gate_leave(c, api);
        int64_t wait = 0;
        req_next next = req_after(c, &rs, r, resp, subscription_missing, &wait, err);
        if (next == REQ_DONE) {
            rc = 0;
            goto done;
        }
        if (next == REQ_FAILED) goto done;
        sleep_ms(c, wait);
    }
done:
    req_clear(&rs);
    return rc;
}

/* ---- a response body buffer kept per thread ------------------------------ */

/* Pages are read one after another by the same threads: their bodies
 * reuse one buffer per thread instead of a malloc/realloc/free of up to a
 * megabyte per request (a buffer grown beyond BODY_KEEP is not kept). */
#define BODY_KEEP (1u << 20)

/* Moves the thread's kept buffer (if any) into an initialised response. */
static void body_borrow(azure_http_response *resp) {
    sbuf *kept = sbuf_scratch(SBUF_SLOT_AZURE_BODY);
    if (kept && kept->data) {
        resp->body = *kept;
        sbuf_init(kept);
        sbuf_reset(&resp->body);
    }
}

/* Keeps the response's buffer for the thread's next request. */
static void body_give_back(azure_http_response *resp) {
    sbuf *kept = sbuf_scratch(SBUF_SLOT_AZURE_BODY);
    if (kept && !kept->data && !sbuf_failed(&resp->body) && resp->body.cap <= BODY_KEEP) {
        *kept = resp->body;
        sbuf_init(&resp->body);
    }
}

/* The JSON tree of a 2xx answer; with `arena` (may be NULL) built in a new
 * json_arena handed to the caller. */
static int parse_page(azure_api api, const azure_http_response *resp, cJSON **out,
                      json_arena **arena, err_info *err) {
    json_arena *a = arena ? json_arena_new() : NULL;
    json_arena *prev = json_arena_enter(a);
    *out = json_parse_len(sbuf_str(&resp->body), resp->body.len);
    json_arena_leave(prev);
    if (!*out) {
        json_arena_free(a);
        a = NULL;
    }
    if (arena) *arena = a;
    if (*out) return 0;
    return err_set(err, ERR_UPSTREAM, "%s answered with invalid JSON (%zu bytes)",
                   azure_api_name(api), resp->body.len);
}

/* With `arena` (may be NULL) the page's tree is built in a new json_arena
 * handed to the caller, who frees it once the tree is deleted: a page's
 * nodes then cost no malloc and no free (see common/json_arena.h). */
static int get_page(azure_client *c, azure_api api, const char *path, const char *post_body,
                    cJSON **out, json_arena **arena, bool *subscription_missing, err_info *err) {
    *out = NULL;
    if (arena) *arena = NULL;
    azure_http_response resp;
    azure_http_response_init(&resp);
    body_borrow(&resp);
    int rc = do_request(c, api, path, post_body, &resp, subscription_missing, err);
    if (rc == 0) rc = parse_page(api, &resp, out, arena, err);
    body_give_back(&resp);
    azure_http_response_free(&resp);
    return rc;
}

int azure_get_json(azure_client *c, azure_api api, const char *path, cJSON **out,
                   err_info *err) {
    return get_page(c, api, path, NULL, out, NULL, NULL, err);
}

int azure_get_text(azure_client *c, azure_api api, const char *path, char **body, size_t *len,
                   err_info *err) {
    *body = NULL;
    if (len) *len = 0;
    azure_http_response resp;
    azure_http_response_init(&resp);
    int rc = do_request(c, api, path, NULL, &resp, NULL, err);
    if (rc == 0) {
        size_t n = resp.body.len;
        *body = sbuf_take(&resp.body);
        if (!*body) rc = err_set(err, ERR_NOMEM, "out of memory reading a response");
        else if (len) *len = n;
    }
    azure_http_response_free(&resp);
    return rc;
}

/* Deletes a page and frees the arena its tree was built in. */
static void page_release(cJSON *page, json_arena *arena) {
    cJSON_Delete(page);
    json_arena_free(arena);
}

/* Receives one page and its arena (ownership of both transferred). */
typedef int (*page_fn)(void *arg, cJSON *page, json_arena *arena, err_info *err);

/* A list's first page answered 404 (and ARM did not say the subscription
 * itself is missing): the list is empty.  Counts it, logs the first few
 * per client as warnings (the rest at debug level: a parent deleted while
 * the job runs makes each of its child lists answer 404) and clears err;
 * false when err is another failure, which stands. */
static bool first_page_absent(azure_client *c, azure_api api, bool subscription_missing,
                              err_info *err) {
    if (err->kind != ERR_NOT_FOUND || subscription_missing) return false;
    long long n = atomic_fetch_add(&c->absent_lists[api], 1) + 1;
    if (n <= AZURE_ABSENT_WARNINGS)
        log_warn("%s: resources not found (%s); treating the list as empty%s",
                 azure_api_name(api), err->message,
                 n == AZURE_ABSENT_WARNINGS ? " (further ones: debug level, and a count at the "
                                              "job's end)"
                                            : "");
    else
        log_debug("%s: resources not found (%s); treating the list as empty",
                  azure_api_name(api), err->message);
    err_clear(err);
    return true;
}

/* The page's next link, copied to *next (NULL at the last page), once it
 * is known not to repeat one the list already followed (guard). */
static int next_page(azure_api api, const cJSON *page, azure_link_guard *guard, char **next,
                     err_info *err) {
    *next = NULL;
    const char *link = azure_paging_next_link(page);
    if (!link) return 0;
    int added = azure_link_guard_add(guard, link);
    if (added == 0) {
        err_set(err, ERR_UPSTREAM, "%s returned a next link that was already followed (%.160s)",
                azure_api_name(api), link);
        return err_hint(err, "this is an Azure paging fault; retry the job later");
    }
    if (added < 0 || !(*next = strdup(link))) return err_set(err, ERR_NOMEM, "out of memory");
    return 0;
}

/* Walks every page of a list, from its first page or, with `continuation`,
 * from a next link (a 404 there is an error, not an empty list).  `stop`
 * (may be NULL) ends the walk early. */
static int walk_pages(azure_client *c, azure_api api, const char *path, bool continuation,
                      page_fn fn, void *arg, const atomic_bool *stop, err_info *err) {
    int rc = -1;
    azure_link_guard guard;
    azure_link_guard_init(&guard);
    char *url = strdup(path);
    /* a continuation's link was followed already: a page linking back to
     * it repeats it (else that page would be read and used twice) */
    if (!url || (continuation && azure_link_guard_add(&guard, path) < 0)) {
        err_set(err, ERR_NOMEM, "out of memory");
        goto done;
    }
    for (bool first = !continuation; url; first = false) {
        if (stop && atomic_load(stop)) break;
        cJSON *page = NULL;
        json_arena *arena = NULL;
        bool subscription_missing = false;
        if (get_page(c, api, url, NULL, &page, &arena, &subscription_missing, err) != 0) {
            if (first && first_page_absent(c, api, subscription_missing, err)) break;
            goto done;
        }
        char *next_copy = NULL;
        if (next_page(api, page, &guard, &next_copy, err) != 0) {
            page_release(page, arena);
            goto done;
        }
        free(url);
        url = next_copy;
        if (fn(arg, page, arena, err) != 0) goto done;
    }
    rc = 0;
done:
    free(url);
    azure_link_guard_clear(&guard);
    return rc;
}

typedef struct list_arg {
    azure_item_fn fn;
    void *arg;
} list_arg;

static int list_page(void *arg, cJSON *page, json_arena *arena, err_info *err) {
    list_arg *la = arg;
    int rc = 0;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(page, "value");
    const cJSON *item;
    if (value && !cJSON_IsArray(value)) {
        rc = err_set(err, ERR_UPSTREAM, "a list page has a \"value\" that is not an array");
    } else {
        cJSON_ArrayForEach(item, value) {
            if ((rc = la->fn(la->arg, item, err)) != 0) break;
        }
    }
    page_release(page, arena);
    return rc;
}

int azure_list(azure_client *c, azure_api api, const char *path, azure_item_fn fn, void *arg,
               err_info *err) {
    list_arg la = {fn, arg};
    return walk_pages(c, api, path, false, list_page, &la, NULL, err);
}

/* ---- many lists / GETs at once ---- */

/* The first page of one list inside a Graph batch answer. */
typedef struct batch_part {
    size_t index;       /* the list */
    const cJSON *page;  /* inside the batch answer's tree */
} batch_part;

typedef struct page_node {
    struct page_node *next;
    size_t index;
    cJSON *page;       /* NULL for the end marker; a batch answer when parts */
    json_arena *arena; /* the page's */
    batch_part *parts; /* a batch answer: the first pages it holds, in order */
    size_t nparts;
    bool end;
    int rc;
    err_info err;
} page_node;

/* The pages of every list go through one bounded queue and are handed to
 * the callback one at a time, in order per list.  Whoever finds the queue
 * not being drained drains it: usually the worker that has just fetched a
 * page, which goes on to fetch once the queue is empty, so a page costs no
 * wake-up of another thread; the calling thread drains too while it waits
 * for the end. */
typedef struct many_ctx {
    azure_client *c;
    azure_api api;
    const char *const *paths;
    size_t count;
    bool paging;
    azure_indexed_item_fn fn;
    void *arg;
    err_info *errs;          /* per list, may be NULL */
    pthread_mutex_t mu;
    pthread_cond_t cv_done;  /* every list ended */
    pthread_cond_t cv_space;
    size_t next_index;       /* position in order */
    size_t batch;            /* lists per request: > 1 sends Graph $batch requests */
    size_t *order;           /* dispatch order (azure_interleave), NULL = as given */
    page_node *head, *tail;
    size_t queued, max_queued;
    bool draining;           /* a thread is handing pages to the callback */
    size_t ended;            /* lists whose end marker was handled */
    int rc;                  /* the first failure (written by the drainer) */
    err_info first;
    atomic_bool *aborted;    /* per list: the consumer failed, stop fetching */
    page_node *ends;         /* per list: its end marker */
    char job[80];            /* the caller's log context, for the workers */
} many_ctx;

typedef struct worker_page_arg {
    many_ctx *m;
    size_t index;
} worker_page_arg;

/* Records the failure of list `index` (drainer only). */
static void list_failed(many_ctx *m, size_t index, const err_info *e) {
    if (m->errs && m->errs[index].kind == ERR_NONE) m->errs[index] = *e;
    if (m->rc == 0) {
        m->first = *e;
        m->rc = -1;
    }
}

/* Hands one page of list `index` to the callback, unless the list was
 * given up. */
static void deliver(many_ctx *m, size_t index, const cJSON *page) {
    if (atomic_load(&m->aborted[index])) return;
    err_info e;
    err_clear(&e);
    int r = 0;
    if (m->paging) {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(page, "value");
        const cJSON *item;
        cJSON_ArrayForEach(item, value) {
            if ((r = m->fn(m->arg, index, item, &e)) != 0) break;
        }
    } else {
        r = m->fn(m->arg, index, page, &e);
    }
    if (r != 0) {
        atomic_store(&m->aborted[index], true);
        list_failed(m, index, &e);
    }
}

/* Hands one queued node (a page, a batch answer or an end marker) to the
 * callback; outside the lock. */
static void consume(many_ctx *m, page_node *n) {
    if (n->end) {
        if (n->rc != 0) list_failed(m, n->index, &n->err);
    } else if (n->parts) {
        for (size_t i = 0; i < n->nparts; i++) deliver(m, n->parts[i].index, n->parts[i].page);
    } else {
        deliver(m, n->index, n->page);
    }
    page_release(n->page, n->arena);
    if (!n->end) { /* end markers belong to m->ends */
        free(n->parts);
        free(n);
    }
}

/* Under mu, with the queue not being drained: hands every queued page to
 * the callback, releasing mu around each call. */
static void drain_locked(many_ctx *m) {
    m->draining = true;
    while (m->head) {
        page_node *n = m->head;
        m->head = n->next;
        if (!m->head) m->tail = NULL;
        m->queued--;
        pthread_cond_signal(&m->cv_space);
        bool end = n->end;
        pthread_mutex_unlock(&m->mu);
        consume(m, n);
        pthread_mutex_lock(&m->mu);
        if (end) m->ended++;
    }
    m->draining = false;
    if (m->ended == m->count) pthread_cond_broadcast(&m->cv_done);
    /* a producer waiting for room while nobody drained becomes the drainer */
    pthread_cond_broadcast(&m->cv_space);
}

static void enqueue(many_ctx *m, page_node *n) {
    pthread_mutex_lock(&m->mu);
    while (m->queued >= m->max_queued && !n->end) {
        if (!m->draining) drain_locked(m);
        else pthread_cond_wait(&m->cv_space, &m->mu);
    }
    if (m->tail) m->tail->next = n;
    else m->head = n;
    m->tail = n;
    m->queued++;
    if (!m->draining) drain_locked(m);
    pthread_mutex_unlock(&m->mu);
}

static int worker_page(void *arg, cJSON *page, json_arena *arena, err_info *err) {
    worker_page_arg *wa = arg;
    page_node *n = calloc(1, sizeof *n);
    if (!n) {
        page_release(page, arena);
        return err_set(err, ERR_NOMEM, "out of memory queueing a page");
    }
    n->index = wa->index;
    n->page = page;
    n->arena = arena;
    enqueue(wa->m, n);
    return 0;
}

/* Queues the end marker of list i.  End markers are preallocated (one per
 * list) so that reporting the end of a list can never fail for want of
 * memory. */
static void end_list(many_ctx *m, size_t i, int rc, const err_info *e) {
    page_node *end = &m->ends[i];
    end->index = i;
    end->end = true;
    end->rc = rc;
    if (e) end->err = *e;
    else err_clear(&end->err);
    enqueue(m, end);
}

/* Fetches list i, all of it or, when its first page came in a batch, from
 * `next` on, then ends it. */
static void fetch_list(many_ctx *m, size_t i, const char *next) {
    err_info e;
    err_clear(&e);
    int rc;
    worker_page_arg wa = {m, i};
    if (m->paging) {
        rc = walk_pages(m->c, m->api, next ? next : m->paths[i], next != NULL, worker_page, &wa,
                        &m->aborted[i], &e);
    } else {
        cJSON *page = NULL;
        json_arena *arena = NULL;
        rc = get_page(m->c, m->api, m->paths[i], NULL, &page, &arena, NULL, &e);
        if (rc == 0) rc = worker_page(&wa, page, arena, &e);
    }
    end_list(m, i, rc, &e);
}

/* The batch request for lists idx[0..k): {"requests":[{"id":"0",...}]}, the
 * id being the position in idx. */
static void batch_body(const many_ctx *m, const size_t *idx, size_t k, sbuf *out) {
    sbuf_puts(out, "{\"requests\":[");
    for (size_t j = 0; j < k; j++) {
        sbuf_printf(out, "%s{\"id\":\"%zu\",\"method\":\"GET\",\"url\":", j ? "," : "", j);
        sbuf_json_string(out, m->paths[idx[j]]);
        sbuf_putc(out, '}');
    }
    sbuf_puts(out, "]}");
}

/* The position an inner answer's "id" names, or k when it names none. */
static size_t batch_id(const cJSON *response, size_t k) {
    const char *id = json_get_string(response, "id");
    if (!id || !*id || strlen(id) > 2 || strspn(id, "0123456789") != strlen(id)) return k;
    size_t j = (size_t)strtoul(id, NULL, 10);
    return j < k ? j : k;
}

/* How a list of a batch goes on once the batch answer is in. */
typedef enum batch_via {
    VIA_ALONE = 0, /* read on its own (its answer was not usable) */
    VIA_PAGE,      /* its first page is in the batch answer */
    VIA_ERROR      /* its answer was a final error (403, 404, 400, ...) */
} batch_via;

/* Inner answer `response` of list i: a first page goes to parts, a final
 * error to *e; anything else (throttled, 5xx, 401, no body) is left to a
 * request of its own, which retries as usual. */
static batch_via batch_answer(many_ctx *m, size_t i, const cJSON *response, char **next,
                              err_info *e) {
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(response, "status");
    const cJSON *page = cJSON_GetObjectItemCaseSensitive(response, "body");
    int code = cJSON_IsNumber(status) ? (int)status->valuedouble : 0;
    if (code < 100 || code > 599) return VIA_ALONE;
    azure_retry_action act = azure_retry_classify(code);
    if (act == AZURE_RETRY_FAIL) {
        char *text = page ? cJSON_PrintUnformatted(page) : NULL;
        azure_error_from_response(m->api, code, m->paths[i], text ? text : "",
                                  text ? strlen(text) : 0, e);
        cJSON_free(text);
        return VIA_ERROR;
    }
    if (act != AZURE_RETRY_DONE || !cJSON_IsObject(page)) return VIA_ALONE;
    const char *link = azure_paging_next_link(page);
    if (link && !(*next = strdup(link))) return VIA_ALONE;
    return VIA_PAGE;
}

/* Lists idx[0..k) of a Graph list_many: their first pages in one $batch
 * request (Graph JSON batching, at most GRAPH_BATCH_MAX requests), handed
 * over as one queued node; a list whose next link is set goes on with
 * plain GETs.  An inner final error ends its list as a single request's
 * would (a 404 is an empty list); a list whose inner answer is throttled,
 * a 5xx, a 401 or no page is read on its own, with the usual retries and
 * Retry-After; so are all k when the batch request itself fails. */
static void fetch_batch(many_ctx *m, const size_t *idx, size_t k) {
    sbuf body = SBUF_INIT;
    cJSON *tree = NULL;
    json_arena *arena = NULL;
    batch_part *parts = calloc(k, sizeof *parts);
    err_info *inner = calloc(k, sizeof *inner);
    char *next[GRAPH_BATCH_MAX] = {0};
    batch_via via[GRAPH_BATCH_MAX] = {0};
    size_t np = 0;
    err_info e;
    err_clear(&e);
    batch_body(m, idx, k, &body);
    if (!parts || !inner || sbuf_failed(&body)) goto release; /* each list on its own */
    if (get_page(m->c, m->api, "/$batch", sbuf_str(&body), &tree, &arena, NULL, &e) != 0) {
        log_debug("a Graph batch request failed (%s); its %zu lists are read one by one",
                  e.message, k);
        goto release;
    }
    const cJSON *response;
    cJSON_ArrayForEach(response, cJSON_GetObjectItemCaseSensitive(tree, "responses")) {
        size_t j = batch_id(response, k);
        if (j == k || via[j] != VIA_ALONE) continue;
        via[j] = batch_answer(m, idx[j], response, &next[j], &inner[j]);
        if (via[j] != VIA_PAGE) continue;
        parts[np].index = idx[j];
        parts[np].page = cJSON_GetObjectItemCaseSensitive(response, "body");
        np++;
    }
    if (np > 0) {
        page_node *n = calloc(1, sizeof *n);
        if (!n) {
            for (size_t j = 0; j < k; j++)
                if (via[j] == VIA_PAGE) via[j] = VIA_ALONE;
            goto release;
        }
        n->page = tree;
        n->arena = arena;
        n->parts = parts;
        n->nparts = np;
        tree = NULL;
        arena = NULL;
        parts = NULL;
        enqueue(m, n);
    }
release:
    page_release(tree, arena);
    free(parts);
    sbuf_free(&body);
    for (size_t j = 0; j < k; j++) {
        if (via[j] == VIA_ALONE) {
            fetch_list(m, idx[j], NULL);
        } else if (via[j] == VIA_PAGE) {
            if (next[j]) fetch_list(m, idx[j], next[j]);
            else end_list(m, idx[j], 0, NULL);
        } else if (first_page_absent(m->c, m->api, false, &inner[j])) {
            end_list(m, idx[j], 0, NULL);
        } else {
            end_list(m, idx[j], -1, &inner[j]);
        }
        free(next[j]);
    }
    free(inner);
}

static void *many_worker(void *arg) {
    many_ctx *m = arg;
    log_set_job(m->job);
    for (;;) {
        pthread_mutex_lock(&m->mu);
        size_t from = m->next_index;
        size_t k = m->count - from < m->batch ? m->count - from : m->batch;
        m->next_index += k;
        pthread_mutex_unlock(&m->mu);
        if (k == 0) break;
        size_t idx[GRAPH_BATCH_MAX];
        for (size_t j = 0; j < k; j++) idx[j] = m->order ? m->order[from + j] : from + j;
        if (k > 1) fetch_batch(m, idx, k);
        else fetch_list(m, idx[0], NULL);
    }
    return NULL;
}

/* ---- many lists from one thread: an event loop ---- */

/* A request that found its API's bound reached (the gate full) is tried
 * again at the loop's next wake-up: a transfer of this loop finishing frees
 * a place and wakes it at once.  Places freed by other threads (other
 * steps' loops) are noticed at the latest this much later.  A 5 ms timer
 * instead woke the loops ~1.5 times per request during paced bursts, each
 * time to find the gate still full (strace of a 3,000-resource job). */
#define LOOP_GATE_RETRY_MS 20
/* The loop wakes at least this often (cancellation, due requests). */
#define LOOP_MAX_WAIT_MS 250

/* One list being read by the loop: its current page's request. */
typedef struct loop_slot {
    bool busy;
    size_t index;
    bool first;            /* reading the list's first page */
    char *url;             /* the page: the list's path, then next links */
    req_state rs;
    bool rs_live;
    bool paced;            /* this attempt's pacing token was taken */
    bool in_flight;
    bool gate_full;        /* paced, but the API's bound was reached */
    int64_t due;           /* monotonic ms when the attempt may be sent */
    azure_link_guard guard;
    azure_http_response resp;
} loop_slot;

/* Ends the slot's list (rc != 0: with e) and frees the slot. */
static void slot_end(many_ctx *m, loop_slot *s, int rc, const err_info *e) {
    if (rc != 0) list_failed(m, s->index, e);
    m->ended++;
    if (s->rs_live) req_clear(&s->rs);
    s->rs_live = false;
    free(s->url);
    s->url = NULL;
    azure_link_guard_clear(&s->guard);
    s->busy = false;
}

/* Sets the slot up for its page (s->url): a first attempt, due now. */
static void slot_page(many_ctx *m, loop_slot *s) {
    err_info e;
    err_clear(&e);
    if (s->rs_live) req_clear(&s->rs);
    s->rs_live = true;
    s->paced = false;
    s->gate_full = false;
    s->due = 0;
    if (req_init(m->c, m->api, s->url, NULL, &s->rs, &e) != 0) slot_end(m, s, -1, &e);
}

static void slot_assign(many_ctx *m, loop_slot *s, size_t index) {
    memset(&s->guard, 0, sizeof s->guard);
    azure_link_guard_init(&s->guard);
    s->busy = true;
    s->index = index;
    s->first = true;
    s->rs_live = false;
    s->in_flight = false;
    s->url = strdup(m->paths[index]);
    if (!s->url) {
        err_info e;
        err_set(&e, ERR_NOMEM, "out of memory");
        slot_end(m, s, -1, &e);
        return;
    }
    slot_page(m, s);
}

/* Sends the slot's attempt when its pacing token and a gate slot allow,
 * else sets when to try again. */
static void slot_send(many_ctx *m, azure_http_multi *hm, loop_slot *s, int64_t now) {
    azure_client *c = m->c;
    err_info e;
    err_clear(&e);
    if (!s->paced) {
        if (req_headers(c, &s->rs, &e) != 0) {
            slot_end(m, s, -1, &e);
            return;
        }
        s->paced = true;
        if (m->api == AZURE_API_ARM) {
            int64_t wait = azure_pacing_acquire(c->pacing, s->rs.scope, now);
            if (wait > 0) {
                s->due = now + wait;
                return;
            }
        }
    }
    s->gate_full = !gate_try_enter(c, m->api);
    if (s->gate_full) {
        s->due = now + LOOP_GATE_RETRY_MS;
        return;
    }
    azure_http_request req = req_request(&s->rs);
    if (azure_http_multi_start(hm, &req, &s->resp, s, &e) != 0) {
        gate_leave(c, m->api);
        slot_end(m, s, -1, &e);
        return;
    }
    s->in_flight = true;
}

/* The slot's transfer finished (r, e as azure_http_perform's): hands a
 * page to the callback and goes on with the next one, or retries, or ends
 * the list as walk_pages / fetch_list would. */
static void slot_done(many_ctx *m, loop_slot *s, int r, err_info *e) {
    azure_client *c = m->c;
    s->in_flight = false;
    s->paced = false;
    gate_leave(c, m->api);
    bool subscription_missing = false;
    int64_t wait = 0;
    switch (req_after(c, &s->rs, r, &s->resp, &subscription_missing, &wait, e)) {
    case REQ_AGAIN:
        s->due = azure_pacing_now_ms() + wait;
        return;
    case REQ_FAILED:
        if (m->paging && s->first && first_page_absent(c, m->api, subscription_missing, e))
            slot_end(m, s, 0, NULL);
        else
            slot_end(m, s, -1, e);
        return;
    case REQ_DONE:
        break;
    }
    cJSON *page = NULL;
    json_arena *arena = NULL;
    if (parse_page(m->api, &s->resp, &page, &arena, e) != 0) {
        slot_end(m, s, -1, e);
        return;
    }
    char *next = NULL;
    if (m->paging && next_page(m->api, page, &s->guard, &next, e) != 0) {
        page_release(page, arena);
        slot_end(m, s, -1, e);
        return;
    }
    deliver(m, s->index, page);
    page_release(page, arena);
    if (!next || atomic_load(&m->aborted[s->index])) {
        free(next);
        slot_end(m, s, 0, NULL);
        return;
    }
    free(s->url);
    s->url = next;
    s->first = false;
    slot_page(m, s);
}

/* run_many without worker threads: the calling thread keeps up to
 * `width` lists in flight on one multi handle, sends each request when its
 * pacing token comes due and hands pages to the callback as they arrive
 * (in order per list, one at a time).  Same requests, retries and
 * outcomes as fetch_list; a paced burst costs one wake-up of one thread. */
static void run_loop(many_ctx *m, size_t width) {
    azure_client *c = m->c;
    azure_http_multi *hm = azure_http_multi_borrow(c->http);
    loop_slot *slots = calloc(width, sizeof *slots);
    if (!hm || !slots) {
        err_info e;
        err_set(&e, ERR_NOMEM, "out of memory starting parallel requests");
        for (; m->next_index < m->count; m->next_index++) {
            list_failed(m, m->order ? m->order[m->next_index] : m->next_index, &e);
            m->ended++;
        }
        goto done;
    }
    for (size_t i = 0; i < width; i++) azure_http_response_init(&slots[i].resp);
    while (m->ended < m->count) {
        int64_t now = azure_pacing_now_ms();
        bool stop = cancelled(c);
        err_info cancel;
        err_clear(&cancel);
        if (stop) err_set(&cancel, ERR_CANCELLED, "job cancelled");
        for (size_t i = 0; i < width && m->next_index < m->count; i++) {
            if (slots[i].busy) continue;
            size_t index = m->order ? m->order[m->next_index] : m->next_index;
            m->next_index++;
            if (stop) {
                list_failed(m, index, &cancel);
                m->ended++;
            } else {
                slot_assign(m, &slots[i], index);
            }
        }
        int64_t next_due = INT64_MAX;
        for (size_t i = 0; i < width; i++) {
            loop_slot *s = &slots[i];
            if (!s->busy || s->in_flight) continue;
            if (stop) {
                slot_end(m, s, -1, &cancel);
                continue;
            }
            if (s->due <= now || s->gate_full) slot_send(m, hm, s, now);
            if (s->busy && !s->in_flight && s->due < next_due) next_due = s->due;
        }
        if (m->ended == m->count) break;
        int64_t wait = next_due == INT64_MAX ? LOOP_MAX_WAIT_MS : next_due - now;
        if (wait > LOOP_MAX_WAIT_MS) wait = LOOP_MAX_WAIT_MS;
        if (wait <= 0 && azure_http_multi_active(hm) == 0) continue;
        int r = 0;
        err_info e;
        err_clear(&e);
        loop_slot *s = azure_http_multi_next(hm, wait > 0 ? (int)wait : 0, &r, &e);
        if (s) slot_done(m, s, r, &e);
    }
done:
    if (slots)
        for (size_t i = 0; i < width; i++) azure_http_response_free(&slots[i].resp);
    free(slots);
    azure_http_multi_give_back(hm);
}

static int run_many(azure_client *c, azure_api api, const char *const *paths, size_t count,
                    bool paging, azure_indexed_item_fn fn, void *arg, err_info *errs,
                    err_info *err) {
    if (count == 0) return 0;
    if ((int)api < 0 || api >= AZURE_API_COUNT)
        return err_set(err, ERR_INVALID, "unknown Azure API %d", (int)api);
    many_ctx m = {.c = c, .api = api, .paths = paths, .count = count, .paging = paging,
                  .fn = fn, .arg = arg, .errs = errs};
    snprintf(m.job, sizeof m.job, "%s", log_job());
    err_clear(&m.first);
    /* Graph lists: first pages GRAPH_BATCH_MAX to a $batch request */
    m.batch = api == AZURE_API_GRAPH && paging ? (size_t)c->opts.graph_batch_max : 1;
    size_t units = (count + m.batch - 1) / m.batch;
    size_t workers = (size_t)c->opts.max_concurrency_per_api;
    if (workers > units) workers = units;
    m.max_queued = workers * MANY_QUEUE_PER_WORKER;
    m.aborted = calloc(count, sizeof *m.aborted);
    m.ends = calloc(count, sizeof *m.ends);
    pthread_t *threads = calloc(workers, sizeof *threads);
    err_info oe;
    err_clear(&oe);
    /* Resource Manager budgets are per subscription: send round-robin */
    int orc = api == AZURE_API_ARM && count > 1 ? azure_interleave(paths, count, &m.order, &oe) : 0;
    if (!m.aborted || !m.ends || !threads || orc != 0) {
        free(m.aborted);
        free(m.ends);
        free(threads);
        free(m.order);
        return err_set(err, ERR_NOMEM, "out of memory starting parallel requests");
    }
    for (size_t i = 0; i < count; i++) atomic_init(&m.aborted[i], false);
    if (errs)
        for (size_t i = 0; i < count; i++) err_clear(&errs[i]);
    pthread_mutex_init(&m.mu, NULL);
    pthread_cond_init(&m.cv_done, NULL);
    pthread_cond_init(&m.cv_space, NULL);
    size_t started = 0;
    if (m.batch == 1) {
        run_loop(&m, workers); /* no thread: an event loop in this one */
    } else {
        for (; started < workers; started++)
            if (pthread_create(&threads[started], NULL, many_worker, &m) != 0) break;
    }
    if (m.batch == 1) {
        /* done: every list has ended */
    } else if (started == 0) {
        m.rc = err_set(&m.first, ERR_INTERNAL, "cannot start worker threads");
        /* Mark every list as failed. */
        for (size_t i = 0; i < count; i++)
            if (errs) errs[i] = m.first;
    } else {
        pthread_mutex_lock(&m.mu);
        while (m.ended < count) {
            if (m.head && !m.draining) drain_locked(&m);
            else pthread_cond_wait(&m.cv_done, &m.mu);
        }
        pthread_mutex_unlock(&m.mu);
    }
    for (size_t i = 0; i < started; i++) pthread_join(threads[i], NULL);
    pthread_cond_destroy(&m.cv_space);
    pthread_cond_destroy(&m.cv_done);
    pthread_mutex_destroy(&m.mu);
    free(threads);
    free(m.aborted);
    free(m.ends);
    free(m.order);
    if (m.rc != 0 && err) *err = m.first;
    return m.rc;
}

int azure_list_many(azure_client *c, azure_api api, const char *const *paths, size_t count,
                    azure_indexed_item_fn fn, void *arg, err_info *errs, err_info *err) {
    return run_many(c, api, paths, count, true, fn, arg, errs, err);
}

int azure_get_many(azure_client *c, azure_api api, const char *const *paths, size_t count,
                   azure_indexed_item_fn fn, void *arg, err_info *errs, err_info *err) {
    return run_many(c, api, paths, count, false, fn, arg, errs, err);
}

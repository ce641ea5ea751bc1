/*
 * azure_http: libcurl transport (design in azure_http.h).
 */
#include "azure/azure_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_MAX_BODY (64u * 1024u * 1024u)
#define HTTP_MAX_IDLE_CONNECTIONS 8
#define HTTP_MAX_HEADERS 16

/* Idle handles kept for reuse (under pool_mu). */
typedef struct idle_stack {
    void **items;
    size_t count, cap;
} idle_stack;

static void *stack_pop(idle_stack *s) { return s->count > 0 ? s->items[--s->count] : NULL; }

/* false when the stack could not grow: the caller frees p */
static bool stack_push(idle_stack *s, void *p) {
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        void **items = realloc(s->items, cap * sizeof *items);
        if (!items) return false;
        s->items = items;
        s->cap = cap;
    }
    s->items[s->count++] = p;
    return true;
}

struct azure_http {
    azure_http_options opts;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_mu;
    idle_stack easies;      /* idle easy handles (CURL *) */
    idle_stack multis;      /* idle azure_http_multi, each keeping its connections */
    /* Proxies from the environment, read once (libcurl would read five
     * variables on every request): "" = none. */
    char *http_proxy, *https_proxy, *no_proxy;
};

/* libcurl's own precedence: the scheme's variable (http_proxy only in
 * lower case: HTTP_PROXY can be set by a CGI request), then all_proxy. */
static char *env_proxy(const char *const *names) {
    for (const char *const *n = names; *n; n++) {
        const char *v = getenv(*n);
        if (v && *v) return strdup(v);
    }
    return strdup("");
}

static int read_proxies(azure_http *http) {
    static const char *const http_names[] = {"http_proxy", "all_proxy", "ALL_PROXY", NULL};
    static const char *const https_names[] = {"https_proxy", "HTTPS_PROXY", "all_proxy",
                                              "ALL_PROXY", NULL};
    static const char *const no_names[] = {"no_proxy", "NO_PROXY", NULL};
    http->http_proxy = env_proxy(http_names);
    http->https_proxy = env_proxy(https_names);
    http->no_proxy = env_proxy(no_names);
    return http->http_proxy && http->https_proxy && http->no_proxy ? 0 : -1;
}

static void multi_free(azure_http_multi *m);

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg) {
    (void)h;
    (void)access;
    azure_http *http = arg;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST) pthread_mutex_lock(&http->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg) {
    (void)h;
    azure_http *http = arg;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST) pthread_mutex_unlock(&http->locks[data]);
}

azure_http *azure_http_new(const azure_http_options *opts) {
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) return NULL;
    azure_http *http = calloc(1, sizeof *http);
    if (!http) return NULL;
    if (opts) http->opts = *opts;
    if (http->opts.connect_timeout_ms <= 0) http->opts.connect_timeout_ms = 10000;
    if (http->opts.low_speed_timeout_s <= 0) http->opts.low_speed_timeout_s = 60;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&http->locks[i], NULL);
    pthread_mutex_init(&http->pool_mu, NULL);
    http->share = curl_share_init();
    if (!http->share || read_proxies(http) != 0) {
        azure_http_free(http);
        return NULL;
    }
    curl_share_setopt(http->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(http->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(http->share, CURLSHOPT_USERDATA, http);
    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return http;
}

void azure_http_free(azure_http *http) {
    if (!http) return;
    for (void *m; (m = stack_pop(&http->multis));) multi_free(m);
    free(http->multis.items);
    for (void *h; (h = stack_pop(&http->easies));) curl_easy_cleanup(h);
    free(http->easies.items);
    free(http->http_proxy);
    free(http->https_proxy);
    free(http->no_proxy);
    if (http->share) curl_share_cleanup(http->share);
    pthread_mutex_destroy(&http->pool_mu);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&http->locks[i]);
    free(http);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg);
static size_t on_header(char *data, size_t size, size_t n, void *arg);
static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d);

/* The options every request of this client shares, set once per handle
 * (a pooled handle keeps them: no curl_easy_reset and two dozen setopts
 * per request). */
static void configure(azure_http *http, CURL *h) {
    curl_easy_setopt(h, CURLOPT_SHARE, http->share);
    /* Each pooled handle keeps its own idle connections (one per host it
     * has talked to: login, Graph, Resource Manager, storage accounts), at
     * most MAXCONNECTS, closing the oldest beyond it.  Not sharing one
     * connection cache across handles spares a mutex round trip at each
     * step of every request (-11 % CPU per request in graph_bench). */
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, (long)HTTP_MAX_IDLE_CONNECTIONS);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)http->opts.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)http->opts.low_speed_timeout_s);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "azure-integration/" AI_VERSION);
    /* Graph pages are 100-500 KB: 64 KiB reads instead of 16 KiB ones */
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 65536L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, http->no_proxy);
}

static CURL *borrow(azure_http *http) {
    CURL *h = NULL;
    pthread_mutex_lock(&http->pool_mu);
    h = stack_pop(&http->easies);
    pthread_mutex_unlock(&http->pool_mu);
    if (h) return h;
    h = curl_easy_init();
    if (h) configure(http, h);
    return h;
}

static void give_back(azure_http *http, CURL *h) {
    pthread_mutex_lock(&http->pool_mu);
    bool kept = stack_push(&http->easies, h);
    pthread_mutex_unlock(&http->pool_mu);
    if (!kept) curl_easy_cleanup(h);
}

void azure_http_response_init(azure_http_response *r) {
    memset(r, 0, sizeof *r);
    sbuf_init(&r->body);
    r->remaining_reads = -1;
    r->remaining_tenant_reads = -1;
}

void azure_http_response_free(azure_http_response *r) {
    sbuf_free(&r->body);
    memset(r, 0, sizeof *r);
    r->remaining_reads = -1;
    r->remaining_tenant_reads = -1;
}

typedef struct xfer {
    azure_http_response *resp;
    bool too_big;
    const atomic_bool *cancelled;
} xfer;

static size_t on_body(char *data, size_t size, size_t n, void *arg) {
    xfer *x = arg;
    size_t len = size * n;
    if (x->resp->body.len + len > HTTP_MAX_BODY) {
        x->too_big = true;
        return 0;
    }
    sbuf_append(&x->resp->body, data, len);
    return sbuf_failed(&x->resp->body) ? 0 : len;
}

/* Copies the value of header line `line` (len bytes) into out when its
 * name is `name`. */
static bool header_value(const char *line, size_t len, const char *name, char *out, size_t size) {
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return false;
    const char *v = line + nl + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    size_t vl = (size_t)(end - v);
    if (vl >= size) vl = size - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return true;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg) {
    xfer *x = arg;
    size_t len = size * n;
    azure_http_response *r = x->resp;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (after 100 Continue): forget earlier headers. */
        r->retry_after[0] = '\0';
        r->content_type[0] = '\0';
        r->remaining_reads = -1;
        r->remaining_tenant_reads = -1;
        return len;
    }
    char tmp[32];
    if (header_value(data, len, "x-ms-ratelimit-remaining-subscription-reads", tmp, sizeof tmp))
        r->remaining_reads = strtoll(tmp, NULL, 10);
    else if (header_value(data, len, "x-ms-ratelimit-remaining-tenant-reads", tmp, sizeof tmp))
        r->remaining_tenant_reads = strtoll(tmp, NULL, 10);
    else if (header_value(data, len, "Content-Length", tmp, sizeof tmp)) {
        /* one allocation for the body instead of doubling up to it */
        long long clen = strtoll(tmp, NULL, 10);
        if (clen > 0 && (unsigned long long)clen <= HTTP_MAX_BODY)
            sbuf_reserve(&r->body, (size_t)clen + 1);
    } else if (!header_value(data, len, "Retry-After", r->retry_after, sizeof r->retry_after))
        header_value(data, len, "Content-Type", r->content_type, sizeof r->content_type);
    return len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    xfer *x = arg;
    return (x->cancelled && atomic_load(x->cancelled)) ? 1 : 0;
}

/* Request set-up shared by azure_http_perform and the multi path: the
 * header list (nodes point at the caller's strings, which outlive the
 * transfer: libcurl only reads the list) and the per-request options; the
 * rest was set once (configure). */
static int prepare(azure_http *http, CURL *h, const azure_http_request *req,
                   struct curl_slist *nodes, xfer *x, char *errbuf, err_info *err) {
    size_t nh = 0;
    for (const char *const *p = req->headers; p && *p; p++) {
        if (nh == HTTP_MAX_HEADERS)
            return err_set(err, ERR_INTERNAL, "more than %d request headers", HTTP_MAX_HEADERS);
        nodes[nh].data = (char *)*p;
        nodes[nh].next = NULL;
        if (nh > 0) nodes[nh - 1].next = &nodes[nh];
        nh++;
    }
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_PROXY,
                     strncasecmp(req->url, "https:", 6) == 0 ? http->https_proxy : http->http_proxy);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nh ? nodes : NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    return 0;
}

static void response_reset(azure_http_response *resp) {
    sbuf_reset(&resp->body);
    resp->status = 0;
    resp->retry_after[0] = '\0';
    resp->content_type[0] = '\0';
    resp->remaining_reads = -1;
    resp->remaining_tenant_reads = -1;
}

/* The outcome of a finished transfer (see azure_http_perform). */
static int outcome(CURL *h, CURLcode cc, const xfer *x, const char *errbuf,
                   azure_http_response *resp, err_info *err) {
    if (cc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        resp->status = (int)status;
        return 0;
    }
    if (cc == CURLE_ABORTED_BY_CALLBACK) return err_set(err, ERR_CANCELLED, "request cancelled");
    if (x->too_big)
        return err_set(err, ERR_UPSTREAM, "response larger than %u bytes", HTTP_MAX_BODY);
    if (sbuf_failed(&resp->body))
        return err_set(err, ERR_NOMEM, "out of memory reading a response");
    /* libcurl's detail names host and cause, never headers. */
    err_set(err, ERR_NETWORK, "%s%s%.300s%s", curl_easy_strerror(cc), errbuf[0] ? " (" : "",
            errbuf, errbuf[0] ? ")" : "");
    return err_hint(err, "check network access to the Azure endpoints (proxy, DNS, firewall)");
}

/* Nothing of a request may outlive it in a pooled handle. */
static void unprepare(CURL *h) {
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, NULL);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, NULL);
    curl_easy_setopt(h, CURLOPT_PRIVATE, NULL);
}

int azure_http_perform(azure_http *http, const azure_http_request *req,
                       azure_http_response *resp, err_info *err) {
    int rc = -1;
    xfer x = {.resp = resp, .cancelled = http->opts.cancelled};
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist nodes[HTTP_MAX_HEADERS];
    response_reset(resp);
    CURL *h = borrow(http);
    if (!h) return err_set(err, ERR_NOMEM, "cannot create an HTTP handle");
    if (prepare(http, h, req, nodes, &x, errbuf, err) == 0)
        rc = outcome(h, curl_easy_perform(h), &x, errbuf, resp, err);
    unprepare(h);
    give_back(http, h);
    return rc;
}

/* ---- many transfers driven by one thread ---- */

typedef struct multi_xfer {
    CURL *h;
    xfer x;
    void *tag;
    struct curl_slist nodes[HTTP_MAX_HEADERS];
    char errbuf[CURL_ERROR_SIZE];
} multi_xfer;

struct azure_http_multi {
    azure_http *http;
    CURLM *multi;
    size_t active;
};

azure_http_multi *azure_http_multi_borrow(azure_http *http) {
    azure_http_multi *m = NULL;
    pthread_mutex_lock(&http->pool_mu);
    m = stack_pop(&http->multis);
    pthread_mutex_unlock(&http->pool_mu);
    if (m) return m;
    m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->http = http;
    m->multi = curl_multi_init();
    if (!m->multi) {
        free(m);
        return NULL;
    }
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)HTTP_MAX_IDLE_CONNECTIONS);
    return m;
}

static void multi_free(azure_http_multi *m) {
    if (!m) return;
    curl_multi_cleanup(m->multi);
    free(m);
}

void azure_http_multi_give_back(azure_http_multi *m) {
    if (!m) return;
    azure_http *http = m->http;
    if (m->active > 0) { /* transfers left behind: never reuse that state */
        multi_free(m);
        return;
    }
    pthread_mutex_lock(&http->pool_mu);
    bool kept = stack_push(&http->multis, m);
    pthread_mutex_unlock(&http->pool_mu);
    if (!kept) multi_free(m);
}

int azure_http_multi_start(azure_http_multi *m, const azure_http_request *req,
                           azure_http_response *resp, void *tag, err_info *err) {
    multi_xfer *t = calloc(1, sizeof *t);
    if (!t) return err_set(err, ERR_NOMEM, "out of memory starting a request");
    response_reset(resp);
    t->x = (xfer){.resp = resp, .cancelled = m->http->opts.cancelled};
    t->tag = tag;
    t->h = borrow(m->http);
    if (!t->h) {
        free(t);
        return err_set(err, ERR_NOMEM, "cannot create an HTTP handle");
    }
    if (prepare(m->http, t->h, req, t->nodes, &t->x, t->errbuf, err) != 0) goto fail;
    curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(m->multi, t->h) != CURLM_OK) {
        err_set(err, ERR_NOMEM, "cannot start a request");
        goto fail;
    }
    m->active++;
    return 0;
fail:
    unprepare(t->h);
    give_back(m->http, t->h);
    free(t);
    return -1;
}

size_t azure_http_multi_active(const azure_http_multi *m) { return m->active; }

void *azure_http_multi_next(azure_http_multi *m, int timeout_ms, int *rc, err_info *err) {
    for (int round = 0; round < 2; round++) {
        int running = 0;
        curl_multi_perform(m->multi, &running);
        int left = 0;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m->multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            multi_xfer *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            CURLcode cc = msg->data.result;
            curl_multi_remove_handle(m->multi, t->h);
            m->active--;
            *rc = outcome(t->h, cc, &t->x, t->errbuf, t->x.resp, err);
            void *tag = t->tag;
            unprepare(t->h);
            give_back(m->http, t->h);
            free(t);
            return tag;
        }
        if (round == 0 && timeout_ms > 0) curl_multi_poll(m->multi, NULL, 0, timeout_ms, NULL);
    }
    return NULL;
}

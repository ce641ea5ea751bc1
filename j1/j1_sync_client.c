/*
 * j1_sync_client: see j1_sync_client.h.
 *
 * Design: calls from up to six upload threads run concurrently; each call
 * borrows an idle curl easy handle from the client's pool (or makes one)
 * and gives it back, so a handle's open connection (and, in production,
 * its TLS session) serves the next batch instead of a new handshake per
 * request.  The pool is the only shared state, under a mutex.  Backoff sleeps are sliced so that a cancelled upload stops within
 * 50 ms.  Only identifiers and HTTP statuses go into errors and logs.
 */
#include "j1/j1_sync_client.h"

#include "common/log.h"
#include "common/random.h"
#include "common/timefmt.h"
#include "common/url.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define J1_POOL_MAX 16  /* idle handles kept (more upload threads than this are not made) */

struct j1_sync_client {
    char *base_url;     /* without trailing slash */
    char *auth_header;  /* "Authorization: Bearer <key>" (secret) */
    char *account_header;
    char *api_key;
    pthread_mutex_t pool_mu;
    CURL *pool[J1_POOL_MAX]; /* idle easy handles, each with its connection */
    size_t pool_count;
};

static CURL *borrow(j1_sync_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_mu);
    if (c->pool_count > 0)
        h = c->pool[--c->pool_count];
    pthread_mutex_unlock(&c->pool_mu);
    if (h) {
        curl_easy_reset(h); /* options cleared; the connection cache stays */
        return h;
    }
    return curl_easy_init();
}

/* Keeps h for the next call unless its connection failed (rc) or the pool
 * is full. */
static void give_back(j1_sync_client *c, CURL *h, CURLcode rc)
{
    if (!h)
        return;
    if (rc == CURLE_OK) {
        pthread_mutex_lock(&c->pool_mu);
        if (c->pool_count < J1_POOL_MAX) {
            c->pool[c->pool_count++] = h;
            h = NULL;
        }
        pthread_mutex_unlock(&c->pool_mu);
    }
    curl_easy_cleanup(h);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_rc = CURLE_OK;
static void curl_init_once(void) { curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

int j1_sync_client_new(const char *base_url, const char *api_key, const char *account_id,
                       j1_sync_client **out, err_info *err)
{
    *out = NULL;
    if (!base_url || !*base_url)
        return err_set(err, ERR_INVALID, "JupiterOne API base URL is empty"),
               err_hint(err, "set J1_API_BASE_URL, e.g. https://api.us.jupiterone.io");
    if (!url_is_https(base_url) && !url_is_loopback_http(base_url))
        return err_set(err, ERR_INVALID, "JupiterOne API base URL must be https://host, with no "
                                         "user@ part"),
               err_hint(err, "use https://...; plain http is accepted only for loopback test servers");
    if (!account_id || !*account_id)
        return err_set(err, ERR_INVALID, "JupiterOne account id is empty"),
               err_hint(err, "set the instance's JupiterOne account id");
    if (api_key && !*api_key)
        api_key = NULL;
    if ((api_key && strpbrk(api_key, "\r\n")) || strpbrk(account_id, "\r\n"))
        return err_set(err, ERR_INVALID, "JupiterOne API key or account id contains a line break"),
               err_hint(err, "check the configured values for stray newlines");
    pthread_once(&curl_once, curl_init_once);
    if (curl_rc != CURLE_OK)
        return err_set(err, ERR_INTERNAL, "libcurl initialisation failed: %s", curl_easy_strerror(curl_rc));

    j1_sync_client *c = calloc(1, sizeof *c);
    sbuf a, b;
    sbuf_init(&a);
    sbuf_init(&b);
    if (!c)
        goto nomem;
    pthread_mutex_init(&c->pool_mu, NULL);
    if (api_key)
        sbuf_printf(&a, "Authorization: Bearer %s", api_key);
    sbuf_printf(&b, "JupiterOne-Account: %s", account_id);
    c->base_url = strdup(base_url);
    c->api_key = api_key ? strdup(api_key) : NULL;
    if (sbuf_failed(&a) || sbuf_failed(&b) || !c->base_url || (api_key && !c->api_key))
        goto nomem;
    c->auth_header = api_key ? sbuf_take(&a) : NULL;
    c->account_header = sbuf_take(&b);
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    if (api_key)
        log_secret_register(api_key);
    *out = c;
    return 0;
nomem:
    sbuf_free(&a);
    sbuf_free(&b);
    if (c) {
        pthread_mutex_destroy(&c->pool_mu);
        free(c->base_url);
        free(c->api_key);
        free(c);
    }
    return err_set(err, ERR_NOMEM, "out of memory creating the JupiterOne client");
}

void j1_sync_client_free(j1_sync_client *c)
{
    if (!c)
        return;
    if (c->api_key)
        log_secret_unregister(c->api_key);
    for (size_t i = 0; i < c->pool_count; i++)
        curl_easy_cleanup(c->pool[i]);
    pthread_mutex_destroy(&c->pool_mu);
    free(c->base_url);
    free(c->api_key);
    free(c->auth_header);
    free(c->account_header);
    free(c);
}

void j1_response_free(j1_response *r)
{
    if (r)
        sbuf_free(&r->body);
}

typedef struct attempt_out {
    sbuf *body;
    char retry_after[64];  /* the Retry-After header's value, "" when absent */
} attempt_out;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    sbuf *b = arg;
    sbuf_append(b, p, size * n);
    return sbuf_failed(b) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    attempt_out *o = arg;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        o->retry_after[0] = '\0';  /* a new response: forget an earlier one's */
    } else if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1, *end = p + len;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        size_t m = (size_t)(end - v);
        if (m >= sizeof o->retry_after)
            m = sizeof o->retry_after - 1;
        memcpy(o->retry_after, v, m);
        o->retry_after[m] = '\0';
    }
    return len;
}

/* A contiguous body as a source. */
typedef struct flat_body {
    const char *data;
    size_t len, at;
} flat_body;

static void flat_rewind(void *ctx) { ((flat_body *)ctx)->at = 0; }

static size_t flat_read(void *ctx, char *buf, size_t size)
{
    flat_body *f = ctx;
    size_t n = f->len - f->at < size ? f->len - f->at : size;
    memcpy(buf, f->data + f->at, n);
    f->at += n;
    return n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    const j1_body_source *src = arg;
    return src->read(src->ctx, buf, size * n);
}

/* Stops a transfer in flight once the caller's cancel flag is set. */
static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    atomic_bool *cancel = arg;
    return cancel && atomic_load(cancel) ? 1 : 0;
}

/* One attempt.  Returns the CURLcode; fills *status on an answer. */
static CURLcode attempt(j1_sync_client *c, const char *method, const char *url,
                        const j1_body_source *body, const char *correlation_id,
                        atomic_bool *cancel, long *status, attempt_out *o)
{
    CURL *h = borrow(c);
    if (!h)
        return CURLE_OUT_OF_MEMORY;
    struct curl_slist *hd = NULL, *tmp;
    char corr[96];
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    if (c->auth_header) {
        if (!(tmp = curl_slist_append(hd, c->auth_header)))
            goto done;
        hd = tmp;
    }
    if (!(tmp = curl_slist_append(hd, c->account_header)))
        goto done;
    hd = tmp;
    if (!(tmp = curl_slist_append(hd, "Content-Type: application/json")))
        goto done;
    hd = tmp;
    if (!(tmp = curl_slist_append(hd, "Expect:")))
        goto done;
    hd = tmp;
    if (correlation_id) {
        snprintf(corr, sizeof corr, "JupiterOne-Correlation-Id: %s", correlation_id);
        if (!(tmp = curl_slist_append(hd, corr)))
            goto done;
        hd = tmp;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 300000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, o->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, o);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "azure-integration");
    if (cancel) {
        /* a cancelled upload stops now, not when a hung server answers
         * (the timeout is 5 minutes) */
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)cancel);
    }
    if (strcmp(method, "GET") != 0) {
        /* the body is read as it is sent (64 KiB at a time) */
        body->rewind(body->ctx);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, (void *)body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->length);
    }
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
done:
    curl_slist_free_all(hd);
    give_back(c, h, rc);
    return rc;
}

static void sleep_ms_cancellable(long ms, atomic_bool *cancel)
{
    while (ms > 0 && !(cancel && atomic_load(cancel))) {
        long slice = ms > 50 ? 50 : ms;
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
}

static int call(j1_sync_client *c, const char *method, const char *path,
                const j1_body_source *body, const char *correlation_id,
                const j1_retry_policy *policy, atomic_bool *cancel, j1_response *resp,
                err_info *err);

int j1_sync_call(j1_sync_client *c, const char *method, const char *path,
                 const char *body, size_t body_len, const char *correlation_id,
                 const j1_retry_policy *policy, atomic_bool *cancel,
                 j1_response *resp, err_info *err)
{
    flat_body f = {.data = body ? body : "", .len = body ? body_len : 0};
    j1_body_source src = {.length = f.len, .ctx = &f, .rewind = flat_rewind, .read = flat_read};
    return call(c, method, path, &src, correlation_id, policy, cancel, resp, err);
}

int j1_sync_call_source(j1_sync_client *c, const char *path, const j1_body_source *source,
                        const char *correlation_id, const j1_retry_policy *policy,
                        atomic_bool *cancel, j1_response *resp, err_info *err)
{
    return call(c, "POST", path, source, correlation_id, policy, cancel, resp, err);
}

static int call(j1_sync_client *c, const char *method, const char *path,
                const j1_body_source *body, const char *correlation_id,
                const j1_retry_policy *policy, atomic_bool *cancel, j1_response *resp,
                err_info *err)
{
    resp->status = 0;
    resp->retries = 0;
    resp->without_key = !c->auth_header;
    sbuf_init(&resp->body);
    sbuf url;
    sbuf_init(&url);
    sbuf_puts(&url, c->base_url);
    sbuf_puts(&url, path);
    if (sbuf_failed(&url)) {
        sbuf_free(&url);
        return err_set(err, ERR_NOMEM, "out of memory building a JupiterOne URL");
    }
    int attempts = policy && policy->max_attempts > 0 ? policy->max_attempts : 5;
    long initial = policy && policy->initial_ms > 0 ? policy->initial_ms : 200;
    long cap = policy && policy->max_ms > 0 ? policy->max_ms : 10000;
    CURLcode rc = CURLE_OK;
    for (int n = 0; n < attempts; n++) {
        if (n > 0)
            resp->retries++;
        sbuf_reset(&resp->body);
        attempt_out o = {.body = &resp->body};
        long status = 0;
        rc = attempt(c, method, sbuf_str(&url), body, correlation_id, cancel, &status, &o);
        if (rc == CURLE_ABORTED_BY_CALLBACK) {
            sbuf_free(&url);
            return err_set(err, ERR_CANCELLED, "JupiterOne request %s %s cancelled", method, path);
        }
        bool transient = rc != CURLE_OK || status >= 500 || status == 429;
        if (!transient) {
            resp->status = status;
            sbuf_free(&url);
            return 0;
        }
        resp->status = status;
        if (n + 1 >= attempts || (cancel && atomic_load(cancel)))
            break;
        /* 429 and 503 may say when to come back (RFC 9110 10.2.3) */
        long delay = status == 429 || status == 503
                         ? (long)timefmt_retry_after_ms(o.retry_after, timefmt_now_ms() / 1000)
                         : -1;
        if (delay < 0) {
            double f = (double)initial * (double)(1L << (n < 20 ? n : 20));
            delay = (long)(f * (0.7 + 0.3 * random_unit()));
        }
        if (delay > cap)
            delay = cap;
        char st[24];
        snprintf(st, sizeof st, "%ld", status);
        log_kv(LOG_WARN, "JupiterOne request failed; retrying", "method", method, "path", path,
               "status", status ? st : curl_easy_strerror(rc), NULL);
        sleep_ms_cancellable(delay, cancel);
        if (cancel && atomic_load(cancel))
            break; /* no new attempt once cancelled */
    }
    sbuf_free(&url);
    if (cancel && atomic_load(cancel))
        return err_set(err, ERR_CANCELLED, "JupiterOne request %s %s cancelled after %d attempt(s)",
                       method, path, resp->retries + 1);
    if (rc != CURLE_OK) {
        err_set(err, ERR_NETWORK, "JupiterOne request %s %s failed after %d attempts: %s", method,
                path, attempts, curl_easy_strerror(rc));
        return err_hint(err, "check network access to the JupiterOne API base URL");
    }
    return 0;  /* answered (5xx/429 after retries): the caller reports the status */
}

void j1_response_error_code(const j1_response *r, char *buf, size_t size)
{
    if (size)
        buf[0] = '\0';
    if (!r->body.data)
        return;
    cJSON *j = cJSON_ParseWithLength(r->body.data, r->body.len);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"), "code");
    if (cJSON_IsString(code))
        snprintf(buf, size, "%s", code->valuestring);
    cJSON_Delete(j);
}

int j1_response_to_err(const j1_response *r, const char *context, err_info *err)
{
    char code[96], msg[200] = "";
    j1_response_error_code(r, code, sizeof code);
    if (r->body.data) {
        cJSON *j = cJSON_ParseWithLength(r->body.data, r->body.len);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"), "message");
        if (cJSON_IsString(m))
            snprintf(msg, sizeof msg, "%s", m->valuestring);
        cJSON_Delete(j);
    }
    err_kind kind = r->status == 401 ? ERR_AUTH : r->status == 403 ? ERR_FORBIDDEN
                  : r->status == 429 ? ERR_THROTTLED : r->status == 404 ? ERR_NOT_FOUND : ERR_UPSTREAM;
    if (code[0])
        err_set(err, kind, "%s (API response: code=%s, message=\"%s\")", context, code, msg);
    else
        err_set(err, kind, "%s (API response: code=%ld)", context, r->status);
    if (err)
        err->http_status = (int)r->status;
    if (kind == ERR_AUTH && r->without_key)
        err_hint(err, "J1_API_KEY is not set, so the request carried no Authorization header: "
                      "set it to a JupiterOne API key allowed to upload to the account");
    else if (kind == ERR_AUTH || kind == ERR_FORBIDDEN)
        err_hint(err, "check the JupiterOne API key and account id");
    return -1;
}

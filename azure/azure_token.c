/*
 * azure_token: token cache with single-flight refresh (design in
 * azure_token.h).
 */
#include "azure/azure_token.h"

#include "azure/azure_retry.h"
#include "common/json.h"
#include "common/log.h"
#include "common/sbuf.h"
#include "common/timefmt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct token_entry {
    char *resource;
    char *token;          /* NULL when none */
    time_t expires_at;    /* wall clock */
    bool refreshing;
    err_info last_err;    /* result of the last failed refresh */
    unsigned generation;  /* bumped after every refresh attempt */
    struct token_entry *next;
} token_entry;

struct azure_token_cache {
    azure_http *http;
    char *authority, *directory_id, *client_id, *client_secret;
    int max_attempts, max_retry_wait_ms;
    const atomic_bool *cancelled;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    token_entry *entries;
    atomic_long requests;
};

azure_token_cache *azure_token_cache_new(azure_http *http, const azure_token_config *cfg) {
    azure_token_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->http = http;
    c->authority = strdup(cfg->authority);
    c->directory_id = strdup(cfg->directory_id);
    c->client_id = strdup(cfg->client_id);
    c->client_secret = strdup(cfg->client_secret);
    c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 5;
    c->max_retry_wait_ms = cfg->max_retry_wait_ms > 0 ? cfg->max_retry_wait_ms : 60000;
    c->cancelled = cfg->cancelled;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (!c->authority || !c->directory_id || !c->client_id || !c->client_secret) {
        azure_token_cache_free(c);
        return NULL;
    }
    log_secret_register(c->client_secret);
    return c;
}

static void wipe_free(char *s) {
    if (!s) return;
    volatile char *p = s;
    while (*p) *p++ = '\0';
    free(s);
}

void azure_token_cache_free(azure_token_cache *c) {
    if (!c) return;
    for (token_entry *e = c->entries, *n; e; e = n) {
        n = e->next;
        if (e->token) {
            log_secret_unregister(e->token);
            wipe_free(e->token);
        }
        free(e->resource);
        free(e);
    }
    if (c->client_secret) log_secret_unregister(c->client_secret);
    wipe_free(c->client_secret);
    free(c->authority);
    free(c->directory_id);
    free(c->client_id);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

long azure_token_requests(azure_token_cache *c) { return atomic_load(&c->requests); }

static bool is_cancelled(const azure_token_cache *c) {
    return c->cancelled && atomic_load(c->cancelled);
}

static void sleep_ms(const azure_token_cache *c, int64_t ms) {
    while (ms > 0 && !is_cancelled(c)) {
        int64_t step = ms > 50 ? 50 : ms;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* Copies an AAD error description into err's message, redacted and cut
 * before the trace/correlation ids (noise for an operator). */
static void set_auth_error(err_info *err, err_kind kind, const char *what, const char *desc) {
    char *red = log_redact(desc ? desc : "");
    if (red) {
        char *cut = strstr(red, "\r\n");
        if (!cut) cut = strstr(red, " Trace ID:");
        if (cut) *cut = '\0';
    }
    err_set(err, kind, "%s%s%s", what, red && *red ? ": " : "", red ? red : "");
    free(red);
}

/* Interprets a token endpoint answer.  Sets *token / *expires_in on
 * success; returns 0, or -1 with err (retryable tells the caller whether to
 * try again). */
static int parse_answer(const azure_http_response *r, char **token, long *expires_in,
                        bool *retryable, err_info *err) {
    *retryable = false;
    const char *text = sbuf_str(&r->body);
    cJSON *j = json_parse_len(text, r->body.len);
    int rc = -1;
    if (!j || !cJSON_IsObject(j)) {
        if (r->status >= 500 || r->status == 429) {
            *retryable = true;
            err_set(err, ERR_UPSTREAM, "the token endpoint answered HTTP %d", r->status);
        } else if (strstr(text, "AADSTS90013")) {
            err_set(err, ERR_AUTH,
                    "AADSTS90013: Invalid input received from the user. The provided directory "
                    "ID is invalid.");
            err_hint(err, "check clientId/clientSecret/directoryId");
        } else {
            err_set(err, ERR_AUTH,
                    "An unknown error occurred while authenticating with the Tenant/Directory "
                    "ID. Check that the Tenant ID is valid.");
            err_hint(err, "check clientId/clientSecret/directoryId");
        }
        goto done;
    }
    const char *error = json_get_string(j, "error");
    if (error) {
        const char *desc = json_get_string(j, "error_description");
        static const char *const auth_errors[] = {"invalid_request", "invalid_client",
                                                  "unauthorized_client", "invalid_grant",
                                                  "invalid_scope"};
        bool auth = r->status == 400 || r->status == 401;
        for (size_t i = 0; i < sizeof auth_errors / sizeof auth_errors[0]; i++)
            if (strcmp(error, auth_errors[i]) == 0) auth = true;
        if (auth) {
            set_auth_error(err, ERR_AUTH, "Azure AD rejected the credentials", desc ? desc : error);
            err_hint(err, "check clientId/clientSecret/directoryId");
        } else {
            *retryable = r->status >= 500 || r->status == 429;
            set_auth_error(err, ERR_UPSTREAM, "the token endpoint failed", error);
        }
        err->http_status = r->status;
        goto done;
    }
    if (r->status < 200 || r->status >= 300) {
        *retryable = r->status >= 500 || r->status == 429;
        err_set(err, *retryable ? ERR_UPSTREAM : ERR_AUTH, "the token endpoint answered HTTP %d",
                r->status);
        if (!*retryable) err_hint(err, "check clientId/clientSecret/directoryId");
        err->http_status = r->status;
        goto done;
    }
    const char *access = json_get_string(j, "access_token");
    if (!access || !*access) {
        err_set(err, ERR_UPSTREAM, "the token endpoint answered without an access_token");
        goto done;
    }
    double num;
    const char *exp_s = json_get_string(j, "expires_in");
    long exp = 3599;
    if (json_get_number(j, "expires_in", &num)) exp = (long)num;
    else if (exp_s) exp = strtol(exp_s, NULL, 10);
    if (exp <= 0) exp = 60;
    *token = strdup(access);
    if (!*token) {
        err_set(err, ERR_NOMEM, "out of memory storing a token");
        goto done;
    }
    *expires_in = exp;
    rc = 0;
done:
    cJSON_Delete(j);
    return rc;
}

/* Posts to the token endpoint, retrying transient failures.  Runs without
 * the cache lock. */
static int fetch_token(azure_token_cache *c, const char *resource, char **token,
                       long *expires_in, err_info *err) {
    int rc = -1;
    sbuf url = SBUF_INIT, form = SBUF_INIT;
    sbuf_puts(&url, c->authority);
    sbuf_putc(&url, '/');
    sbuf_urlencode(&url, c->directory_id);
    sbuf_puts(&url, "/oauth2/v2.0/token");
    sbuf_puts(&form, "client_id=");
    sbuf_urlencode(&form, c->client_id);
    sbuf_puts(&form, "&client_secret=");
    sbuf_urlencode(&form, c->client_secret);
    sbuf_puts(&form, "&grant_type=client_credentials&scope=");
    sbuf_urlencode(&form, resource);
    sbuf_urlencode(&form, "/.default");
    if (sbuf_failed(&url) || sbuf_failed(&form)) {
        err_set(err, ERR_NOMEM, "out of memory building a token request");
        goto done;
    }
    static const char *const headers[] = {
        "Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
    azure_http_request req = {.method = "POST", .url = sbuf_str(&url), .headers = headers,
                              .body = sbuf_str(&form)};
    for (int attempt = 1;; attempt++) {
        if (is_cancelled(c)) {
            err_set(err, ERR_CANCELLED, "job cancelled while requesting a token");
            goto done;
        }
        azure_http_response resp;
        azure_http_response_init(&resp);
        atomic_fetch_add(&c->requests, 1);
        bool retryable = true;
        int r = azure_http_perform(c->http, &req, &resp, err);
        if (r == 0) r = parse_answer(&resp, token, expires_in, &retryable, err);
        else retryable = err->kind == ERR_NETWORK;
        int64_t wait = timefmt_retry_after_ms(resp.retry_after, timefmt_now_ms() / 1000);
        azure_http_response_free(&resp);
        if (r == 0) {
            rc = 0;
            goto done;
        }
        if (!retryable || attempt >= c->max_attempts) break;
        if (wait < 0) wait = azure_retry_backoff_ms(attempt, 500, c->max_retry_wait_ms);
        if (wait > c->max_retry_wait_ms) wait = c->max_retry_wait_ms;
        sleep_ms(c, wait);
    }
    if (err->kind != ERR_AUTH) err_prefix(err, "authenticating to %s", resource);
done:
    if (form.data) {
        volatile char *p = form.data;
        for (size_t i = 0; i < form.len; i++) p[i] = '\0';
    }
    sbuf_free(&form);
    sbuf_free(&url);
    return rc;
}

static token_entry *entry_of(azure_token_cache *c, const char *resource) {
    for (token_entry *e = c->entries; e; e = e->next)
        if (strcmp(e->resource, resource) == 0) return e;
    token_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->resource = strdup(resource);
    if (!e->resource) {
        free(e);
        return NULL;
    }
    e->next = c->entries;
    c->entries = e;
    return e;
}

int azure_token_get(azure_token_cache *c, const char *resource, char **token, err_info *err) {
    *token = NULL;
    pthread_mutex_lock(&c->mu);
    token_entry *e = entry_of(c, resource);
    if (!e) {
        pthread_mutex_unlock(&c->mu);
        return err_set(err, ERR_NOMEM, "out of memory caching a token");
    }
    for (;;) {
        time_t now = time(NULL);
        bool valid = e->token && now < e->expires_at;
        bool fresh = valid && now < e->expires_at - AZURE_TOKEN_REFRESH_AHEAD_S;
        if (fresh || (valid && e->refreshing)) {
            *token = strdup(e->token);
            pthread_mutex_unlock(&c->mu);
            return *token ? 0 : err_set(err, ERR_NOMEM, "out of memory copying a token");
        }
        if (!e->refreshing) break;
        /* No usable token and another thread is fetching one: wait for it. */
        unsigned gen = e->generation;
        while (e->refreshing && e->generation == gen) pthread_cond_wait(&c->cv, &c->mu);
        if (!e->token || time(NULL) >= e->expires_at) {
            /* That refresh failed: report its error rather than storm AAD. */
            if (err) *err = e->last_err;
            pthread_mutex_unlock(&c->mu);
            return -1;
        }
    }
    e->refreshing = true;
    pthread_mutex_unlock(&c->mu);

    char *fresh = NULL;
    long expires_in = 0;
    err_info local;
    err_clear(&local);
    int rc = fetch_token(c, resource, &fresh, &expires_in, &local);

    pthread_mutex_lock(&c->mu);
    if (rc == 0) {
        if (e->token) {
            log_secret_unregister(e->token);
            wipe_free(e->token);
        }
        e->token = fresh;
        log_secret_register(fresh);
        e->expires_at = time(NULL) + expires_in;
        *token = strdup(fresh);
        if (!*token) rc = err_set(&local, ERR_NOMEM, "out of memory copying a token");
    } else if (e->token && time(NULL) < e->expires_at) {
        /* Early refresh failed but the old token still works: keep it. */
        log_warn("token refresh failed, using the current token until it expires");
        *token = strdup(e->token);
        rc = *token ? 0 : err_set(&local, ERR_NOMEM, "out of memory copying a token");
    } else {
        e->last_err = local;
    }
    e->refreshing = false;
    e->generation++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (rc != 0 && err) *err = local;
    return rc;
}

void azure_token_invalidate(azure_token_cache *c, const char *resource, const char *token) {
    pthread_mutex_lock(&c->mu);
    for (token_entry *e = c->entries; e; e = e->next) {
        if (strcmp(e->resource, resource) == 0 && e->token && token &&
            strcmp(e->token, token) == 0)
            e->expires_at = 0;
    }
    pthread_mutex_unlock(&c->mu);
}

/* proc_http: see proc_http.h. */
#include "support/proc_http.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <strings.h>
#include <time.h>

struct proc_http {
    CURL *curl;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

proc_http *proc_http_new(void)
{
    pthread_once(&g_once, global_init);
    proc_http *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->curl = curl_easy_init();
    if (!h->curl) {
        free(h);
        return NULL;
    }
    return h;
}

void proc_http_free(proc_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    free(h);
}

typedef struct growbuf {
    char *data;
    size_t len, cap;
    bool oom;
} growbuf;

static size_t append(growbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return 0;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    return append(arg, p, size * n);
}

static char *finish(growbuf *b)
{
    if (!b->data) {
        b->data = calloc(1, 1);
        b->len = 0;
    }
    return b->data;
}

void proc_http_answer_free(proc_http_answer *a)
{
    if (!a)
        return;
    free(a->body);
    free(a->headers);
    memset(a, 0, sizeof *a);
}

int proc_http_request(proc_http *h, const char *method, const char *url,
                      const char *const *headers, const char *body, size_t body_len,
                      int timeout_ms, proc_http_answer *a)
{
    proc_http_answer_free(a);
    growbuf bb = {0}, hb = {0};
    struct curl_slist *hl = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 30000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    a->body = finish(&bb);
    a->body_len = bb.len;
    a->headers = finish(&hb);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &a->seconds);
    if (rc != CURLE_OK || bb.oom || hb.oom || !a->body || !a->headers) {
        a->status = 0;
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    return 0;
}

int proc_http_get(const char *url, int timeout_ms, proc_http_answer *a)
{
    proc_http *h = proc_http_new();
    if (!h) {
        proc_http_answer_free(a);
        return -1;
    }
    int rc = proc_http_request(h, "GET", url, NULL, NULL, 0, timeout_ms, a);
    proc_http_free(h);
    return rc;
}

char *proc_http_header(const proc_http_answer *a, const char *name, char *buf, size_t size)
{
    size_t n = strlen(name);
    for (const char *line = a->headers; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vl = len - (size_t)(v - line);
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            snprintf(buf, size, "%.*s", (int)vl, v);
            return buf;
        }
        line = eol ? eol + 1 : line + len;
    }
    return NULL;
}

void proc_http_sign(const char *secret, long long timestamp, const char *body, size_t len,
                    char out[72])
{
    char ts[32];
    int tl = snprintf(ts, sizeof ts, "%lld.", timestamp);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    if (ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) &&
        EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tl) &&
        EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
        EVP_MAC_final(ctx, mac, &outl, sizeof mac))
        ml = (unsigned int)outl;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    memcpy(out, "sha256=", 7);
    for (unsigned i = 0; i < ml && i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
    out[7 + 2 * (ml < 32 ? ml : 32)] = '\0';
}

int proc_http_post_event(proc_http *h, const char *base_url, const char *secret,
                         long long ts_offset_s, const char *body, int timeout_ms,
                         proc_http_answer *a)
{
    char url[512], tsh[64], sigh[96], sig[72];
    snprintf(url, sizeof url, "%s/v1/events", base_url);
    long long ts = (long long)time(NULL) + ts_offset_s;
    size_t len = strlen(body);
    const char *hdrs[4] = {"Content-Type: application/json", NULL, NULL, NULL};
    if (secret) {
        proc_http_sign(secret, ts, body, len, sig);
        snprintf(tsh, sizeof tsh, "X-Signature-Timestamp: %lld", ts);
        snprintf(sigh, sizeof sigh, "X-Signature-256: %s", sig);
        hdrs[1] = tsh;
        hdrs[2] = sigh;
    }
    return proc_http_request(h, "POST", url, hdrs, body, len, timeout_ms, a);
}

double proc_http_metric(const char *base_url, const char *series)
{
    char url[512];
    snprintf(url, sizeof url, "%s/metrics", base_url);
    proc_http_answer a = {0};
    double sum = -1;
    if (proc_http_get(url, 10000, &a) == 0 && a.status == 200) {
        size_t n = strlen(series);
        for (const char *line = a.body; *line;) {
            const char *eol = strchr(line, '\n');
            if (strncmp(line, series, n) == 0 && (line[n] == ' ' || line[n] == '{')) {
                const char *sp = strchr(line + n, ' ');
                if (sp && (!eol || sp < eol))
                    sum = (sum < 0 ? 0 : sum) + strtod(sp + 1, NULL);
            }
            if (!eol)
                break;
            line = eol + 1;
        }
    }
    proc_http_answer_free(&a);
    return sum;
}

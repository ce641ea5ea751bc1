/* events: see events.h. */
#include "handlers/events.h"

#include "common/log.h"
#include "storage/config_crypto.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- signature ---------------------------------------------------------- */

void events_signature_compute(const char *secret, const char *timestamp, const char *body,
                              size_t len, char out[72])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    out[0] = '\0';
    EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *h = alg ? EVP_MAC_CTX_new(alg) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (h && EVP_MAC_init(h, (const unsigned char *)secret, strlen(secret), params) == 1 &&
        EVP_MAC_update(h, (const unsigned char *)timestamp, strlen(timestamp)) == 1 &&
        EVP_MAC_update(h, (const unsigned char *)".", 1) == 1 &&
        (len == 0 || EVP_MAC_update(h, (const unsigned char *)body, len) == 1) &&
        EVP_MAC_final(h, mac, &mac_len, sizeof mac) == 1 && mac_len == 32) {
        static const char hex[] = "0123456789abcdef";
        memcpy(out, "sha256=", 7);
        for (unsigned i = 0; i < 32; i++) {
            out[7 + 2 * i] = hex[mac[i] >> 4];
            out[8 + 2 * i] = hex[mac[i] & 15];
        }
        out[71] = '\0';
    }
    EVP_MAC_CTX_free(h);
    EVP_MAC_free(alg);
    OPENSSL_cleanse(mac, sizeof mac);
}

int events_signature_check(const char *secret, const char *timestamp, const char *signature,
                           const char *body, size_t len, int64_t now_s, char *why,
                           size_t why_size)
{
    if (!timestamp || !timestamp[0]) {
        snprintf(why, why_size, "the X-Signature-Timestamp header is missing");
        return -1;
    }
    if (!signature || !signature[0]) {
        snprintf(why, why_size, "the X-Signature-256 header is missing");
        return -1;
    }
    size_t tl = strlen(timestamp);
    if (tl > 12 || strspn(timestamp, "0123456789") != tl) {
        snprintf(why, why_size, "the X-Signature-Timestamp header must be unix seconds");
        return -1;
    }
    long long ts = strtoll(timestamp, NULL, 10);
    long long skew = (long long)now_s - ts;
    if (skew > API_SIGNATURE_WINDOW_S || skew < -API_SIGNATURE_WINDOW_S) {
        snprintf(why, why_size,
                 "the X-Signature-Timestamp is more than %d seconds from the server's clock",
                 API_SIGNATURE_WINDOW_S);
        return -1;
    }
    if (strlen(signature) != 71 || strncmp(signature, "sha256=", 7) != 0) {
        snprintf(why, why_size,
                 "the X-Signature-256 header must be sha256=<64 lowercase hex digits>");
        return -1;
    }
    char expected[72];
    events_signature_compute(secret, timestamp, body, len, expected);
    int bad = expected[0] == '\0' || CRYPTO_memcmp(expected, signature, 71) != 0;
    OPENSSL_cleanse(expected, sizeof expected);
    if (bad) {
        snprintf(why, why_size, "the X-Signature-256 does not match the body");
        return -1;
    }
    return 0;
}

bool events_content_type_ok(const char *value)
{
    if (!value)
        return false;
    while (*value == ' ' || *value == '\t')
        value++;
    static const char want[] = "application/json";
    if (strncasecmp(value, want, sizeof want - 1) != 0)
        return false;
    const char *rest = value + sizeof want - 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

/* ---- validation --------------------------------------------------------- */

static bool id_chars(const char *s, const char *extra)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!isalnum(*p) && !strchr(extra, *p))
            return false;
    return true;
}

/* Valid UTF-8 (no overlongs, no surrogates) without control characters
 * (tab/newline/CR allowed when `multiline`). */
static bool clean_utf8(const char *s, bool multiline)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                if (!(multiline && (c == '\t' || c == '\n' || c == '\r')))
                    return false;
            }
            p++;
            continue;
        }
        int n;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0x80 && cp <= 0x9f))
            return false;
        p += n + 1;
    }
    return true;
}

typedef enum field_kind { F_ID, F_TENANT, F_TEXT, F_MULTILINE } field_kind;

/* Returns the string, NULL with *bad set when invalid; NULL without *bad
 * when optional and absent, null or empty. */
static const char *str_field(const cJSON *obj, const char *name, const char *path,
                             bool required, size_t max, field_kind kind, char *why,
                             size_t why_size, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v || (!required && cJSON_IsNull(v))) {
        if (required) {
            snprintf(why, why_size, "%s is required", path);
            *bad = true;
        }
        return NULL;
    }
    if (!cJSON_IsString(v) || !v->valuestring) {
        snprintf(why, why_size, "%s must be a string", path);
        *bad = true;
        return NULL;
    }
    char *s = v->valuestring;
    size_t len = strlen(s);
    if (kind == F_TENANT) {
        /* Pasted tenant / client / subscription ids often carry blanks at
         * either end: strip them (the engine reads them trimmed too). */
        size_t lead = strspn(s, " \t\r\n");
        while (len > lead && strchr(" \t\r\n", s[len - 1]))
            len--;
        memmove(s, s + lead, len - lead);
        len -= lead;
        s[len] = '\0';
    }
    /* Text is measured in characters (code points), as openapi.yaml's
     * maxLength and the message say; continuation bytes are not counted. */
    size_t count = len;
    if (kind == F_TEXT || kind == F_MULTILINE)
        for (size_t i = 0; i < len; i++)
            count -= ((unsigned char)s[i] & 0xc0) == 0x80;
    if (count == 0 && !required)
        return NULL; /* an optional field left empty is absent (as for collect) */
    if (count == 0 || count > max) {
        snprintf(why, why_size, "%s must be 1 to %zu characters long", path, max);
        *bad = true;
        return NULL;
    }
    bool ok;
    const char *allowed = NULL;
    switch (kind) {
    case F_ID:
        ok = id_chars(s, "._:-");
        allowed = "letters, digits and . _ : -";
        break;
    case F_TENANT:
        ok = id_chars(s, "._-");
        allowed = "letters, digits and . _ -";
        break;
    case F_TEXT:
        ok = clean_utf8(s, false);
        break;
    default:
        ok = clean_utf8(s, true);
        break;
    }
    if (!ok) {
        if (allowed)
            snprintf(why, why_size, "%s may only contain %s", path, allowed);
        else
            snprintf(why, why_size, "%s must be UTF-8 text without control characters", path);
        *bad = true;
        return NULL;
    }
    return s;
}

/* -1 bad, 0 absent, 1 present. */
static int bool_field(const cJSON *obj, const char *name, const char *path, bool *out,
                      char *why, size_t why_size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsBool(v)) {
        snprintf(why, why_size, "%s must be a boolean", path);
        return -1;
    }
    *out = cJSON_IsTrue(v);
    return 1;
}

/* Refuses raw control bytes outside JSON whitespace and the \u0000 escape:
 * C strings cannot carry a NUL, so such text would be silently cut. */
static bool body_has_nul(const char *body, size_t len, bool *control)
{
    *control = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            *control = true;
            return true;
        }
        if (c == '\\' && i + 1 < len) {
            if (body[i + 1] == 'u' && i + 5 < len && memcmp(body + i + 2, "0000", 4) == 0)
                return true;
            i++; /* skip the escaped character */
        }
    }
    return false;
}

static void wipe_tree(cJSON *item)
{
    for (; item; item = item->next) {
        if (item->valuestring)
            config_crypto_wipe(item->valuestring, strlen(item->valuestring));
        if (item->child)
            wipe_tree(item->child);
    }
}

void events_parsed_free(events_parsed *p)
{
    if (!p)
        return;
    if (p->root) {
        wipe_tree(p->root);
        cJSON_Delete(p->root);
    }
    if (p->config) {
        wipe_tree(p->config);
        cJSON_Delete(p->config);
    }
    memset(p, 0, sizeof *p);
}

int events_config_check(cJSON *cfg, const char *path, cJSON **out, char *why, size_t why_size)
{
    *out = NULL;
    if (!cJSON_IsObject(cfg)) {
        snprintf(why, why_size, "%s must be an object", path);
        return -1;
    }
    char p[6][96];
    static const char *const names[] = {"directoryId",    "clientId",
                                        "clientSecret",   "subscriptionId",
                                        "ingestActiveDirectory", "tagWithAccountName"};
    /* path.name of each field, for the messages */
    for (size_t i = 0; i < 6; i++)
        snprintf(p[i], sizeof p[i], "%s.%s", path, names[i]);
    bool bad = false;
    const char *dir = str_field(cfg, names[0], p[0], true, 256, F_TENANT, why, why_size, &bad);
    if (bad)
        return -1;
    const char *cid = str_field(cfg, names[1], p[1], true, 256, F_TENANT, why, why_size, &bad);
    if (bad)
        return -1;
    const char *sec = str_field(cfg, names[2], p[2], true, 1024, F_TEXT, why, why_size, &bad);
    if (bad)
        return -1;
    const char *sub = str_field(cfg, names[3], p[3], false, 128, F_TENANT, why, why_size, &bad);
    if (bad)
        return -1;
    bool ingest_ad = false, tag = false;
    if (bool_field(cfg, names[4], p[4], &ingest_ad, why, why_size) < 0 ||
        bool_field(cfg, names[5], p[5], &tag, why, why_size) < 0)
        return -1;
    cJSON *c = cJSON_CreateObject();
    if (!c || !cJSON_AddStringToObject(c, "directoryId", dir) ||
        !cJSON_AddStringToObject(c, "clientId", cid) ||
        !cJSON_AddStringToObject(c, "clientSecret", sec) ||
        (sub && !cJSON_AddStringToObject(c, "subscriptionId", sub)) ||
        !cJSON_AddBoolToObject(c, "ingestActiveDirectory", ingest_ad) ||
        !cJSON_AddBoolToObject(c, "tagWithAccountName", tag)) {
        if (c) {
            wipe_tree(c);
            cJSON_Delete(c);
        }
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    *out = c;
    return 0;
}

int events_parse(const char *body, size_t len, events_parsed *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    bool control;
    if (len == 0) {
        snprintf(why, why_size, "the body is empty; a JSON object is required");
        return -1;
    }
    if (body_has_nul(body, len, &control)) {
        snprintf(why, why_size, control ? "malformed JSON: raw control character in the body"
                                        : "strings must not contain NUL (\\u0000)");
        return -1;
    }
    const char *end = NULL;
    out->root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!out->root) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        snprintf(why, why_size, "malformed JSON near byte %zu", at);
        return -1;
    }
    /* Only whitespace may follow the value. */
    for (const char *p = end; p && p < body + len; p++) {
        if (!isspace((unsigned char)*p)) {
            snprintf(why, why_size, "malformed JSON: trailing data after the object");
            goto fail;
        }
    }
    if (!cJSON_IsObject(out->root)) {
        snprintf(why, why_size, "the body must be a JSON object");
        goto fail;
    }
    bool bad = false;
    job_event *ev = &out->event;
    const cJSON *root = out->root;
    /* the contract asks only 1-128 characters of the idempotency key: any
     * text the scheduler uses is taken (stored and echoed, never in a
     * header, URL or key) */
    ev->event_id = str_field(root, "eventId", "eventId", true, EVENTS_ID_MAX, F_TEXT, why,
                             why_size, &bad);
    if (bad)
        goto fail;
    ev->account_id = str_field(root, "accountId", "accountId", true, EVENTS_ID_MAX, F_ID, why,
                               why_size, &bad);
    if (bad)
        goto fail;
    const cJSON *inst = cJSON_GetObjectItemCaseSensitive(root, "integrationInstance");
    if (!inst) {
        snprintf(why, why_size, "integrationInstance is required");
        goto fail;
    }
    if (!cJSON_IsObject(inst)) {
        snprintf(why, why_size, "integrationInstance must be an object");
        goto fail;
    }
    ev->instance_id = str_field(inst, "id", "integrationInstance.id", true, EVENTS_ID_MAX, F_ID,
                                why, why_size, &bad);
    if (bad)
        goto fail;
    ev->instance_name = str_field(inst, "name", "integrationInstance.name", true, 256, F_TEXT,
                                  why, why_size, &bad);
    if (bad)
        goto fail;
    ev->instance_description = str_field(inst, "description", "integrationInstance.description",
                                         false, 4096, F_MULTILINE, why, why_size, &bad);
    if (bad)
        goto fail;
    ev->j1_job_id = str_field(root, "jobId", "jobId", false, EVENTS_ID_MAX, F_ID, why, why_size,
                              &bad);
    if (bad)
        goto fail;
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(inst, "config");
    if (!cfg) {
        snprintf(why, why_size, "integrationInstance.config is required");
        goto fail;
    }
    if (events_config_check(cfg, "integrationInstance.config", &out->config, why, why_size) != 0)
        goto fail;
    ev->config = out->config;
    return 0;
fail:
    events_parsed_free(out);
    return -1;
}

/* ---- handler ------------------------------------------------------------ */

static int64_t wall_now(void)
{
    return (int64_t)time(NULL);
}

static void answer_job(const api_context *ctx, api_response *res, int status,
                       const char *job_id, bool lookup)
{
    char st[16] = "queued";
    if (lookup) {
        cJSON *doc = NULL;
        err_info e = {0};
        if (job_store_get(ctx->store, job_id, &doc, &e) == 0 && doc) {
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "status");
            if (cJSON_IsString(s))
                snprintf(st, sizeof st, "%s", s->valuestring);
        }
        cJSON_Delete(doc);
    }
    res->status = status;
    sbuf_reset(&res->body);
    sbuf_puts(&res->body, "{\"jobId\":");
    sbuf_json_string(&res->body, job_id);
    sbuf_puts(&res->body, ",\"status\":");
    sbuf_json_string(&res->body, st);
    sbuf_puts(&res->body, "}");
    snprintf(res->location, sizeof res->location, "/v1/jobs/%s", job_id);
}

int api_events_post(const api_context *ctx, const api_request *req, api_response *res)
{
    char why[256];
    if (!events_content_type_ok(req->header(req->ctx, "Content-Type"))) {
        api_error(res, 415, "unsupported_media_type", "Content-Type must be application/json");
        return 0;
    }
    int64_t now = ctx->now_s ? ctx->now_s() : wall_now();
    if (events_signature_check(ctx->webhook_secret, req->header(req->ctx, "X-Signature-Timestamp"),
                               req->header(req->ctx, "X-Signature-256"), req->body,
                               req->body_len, now, why, sizeof why) != 0) {
        log_kv(LOG_WARN, "event refused: bad signature", "reason", why, NULL);
        api_error(res, 401, "unauthorized", "%s", why);
        return 0;
    }
    events_parsed ev;
    if (events_parse(req->body, req->body_len, &ev, why, sizeof why) != 0) {
        api_error(res, 400, "invalid_request", "%s", why);
        return 0;
    }
    char job_id[37];
    job_enqueue_outcome outcome;
    err_info e = {0};
    int rc = job_store_enqueue(ctx->store, &ev.event, job_id, &outcome, &e);
    if (rc != 0) {
        log_kv(LOG_ERROR, "event not queued", "eventId", ev.event.event_id, "error", e.message,
               NULL);
        events_parsed_free(&ev);
        api_error_from(res, &e);
        return 0;
    }
    const char *what = outcome == JOB_ENQUEUE_CREATED       ? "created"
                       : outcome == JOB_ENQUEUE_COALESCED   ? "coalesced"
                                                            : "duplicate";
    log_kv(LOG_INFO, "event accepted", "eventId", ev.event.event_id, "instanceId",
           ev.event.instance_id, "queuedJobId", job_id, "outcome", what, NULL);
    events_parsed_free(&ev);
    if (outcome == JOB_ENQUEUE_CREATED) {
        answer_job(ctx, res, 202, job_id, false);
        if (ctx->job_enqueued)
            ctx->job_enqueued(ctx->arg);
    } else {
        /* A coalesced event joined a job that is queued by definition; a
         * repeated event is answered with its job's current status. */
        answer_job(ctx, res, 200, job_id, outcome == JOB_ENQUEUE_DUPLICATE_EVENT);
    }
    return 0;
}

/*
 * azure_error: HTTP error answers → err_info (see azure_error.h).
 */
#include "azure/azure_error.h"

#include "common/json.h"
#include "common/log.h"
#include "common/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *azure_api_name(azure_api api) {
    switch (api) {
    case AZURE_API_GRAPH: return "Microsoft Graph";
    case AZURE_API_ARM: return "Azure Resource Manager";
    case AZURE_API_DATA: return "Azure Storage";
    default: return "Azure";
    }
}

const char *azure_api_label(azure_api api) {
    switch (api) {
    case AZURE_API_GRAPH: return "graph";
    case AZURE_API_ARM: return "arm";
    case AZURE_API_DATA: return "data";
    default: return "unknown";
    }
}

/* Skips scheme and host of an absolute URL. */
static const char *path_part(const char *url) {
    const char *p = strstr(url, "://");
    if (!p) return url;
    const char *slash = strchr(p + 3, '/');
    return slash ? slash : url + strlen(url);
}

void azure_error_resource_type(const char *path, char *out, size_t size) {
    out[0] = '\0';
    if (size == 0) return;
    const char *p = path_part(path);
    size_t plen = strcspn(p, "?#");
    /* Last "/providers/" segment: Namespace/type[/name/subtype...]. */
    const char *prov = NULL;
    for (const char *q = p; (q = strcasestr(q, "/providers/")) && q < p + plen; q++) prov = q;
    sbuf b = SBUF_INIT;
    if (prov) {
        const char *s = prov + strlen("/providers/");
        const char *end = p + plen;
        /* namespace */
        size_t n = strcspn(s, "/?");
        if (s + n > end) n = (size_t)(end - s);
        sbuf_append(&b, s, n);
        s += n;
        /* type, then every other segment (nested types skip names). */
        for (int seg = 0; s < end && *s == '/'; seg++) {
            s++;
            n = strcspn(s, "/?");
            if (s + n > end) n = (size_t)(end - s);
            if (seg % 2 == 0 && n > 0) {
                sbuf_putc(&b, '/');
                sbuf_append(&b, s, n);
            }
            s += n;
        }
    } else {
        /* Graph: "/v1.0/users/..." → "users"; ARM: "/subscriptions/x/resourcegroups". */
        const char *s = p;
        if (strncmp(s, "/v1.0/", 6) == 0 || strncmp(s, "/beta/", 6) == 0) s += 5;
        if (*s == '/') s++;
        size_t n = strcspn(s, "/?");
        const char *last = s;
        size_t last_n = n;
        if (strncasecmp(s, "subscriptions", n) == 0 && n == 13) {
            /* Take the last collection name of the path. */
            int seg = 0;
            for (const char *q = s; q < p + plen; seg++) {
                size_t m = strcspn(q, "/?");
                if (seg % 2 == 0 && m) {
                    last = q;
                    last_n = m;
                }
                q += m;
                if (*q == '/') q++;
                else break;
            }
        }
        sbuf_append(&b, last, last_n);
    }
    snprintf(out, size, "%s", sbuf_str(&b));
    sbuf_free(&b);
}

static void subscription_of(const char *path, char *out, size_t size) {
    out[0] = '\0';
    const char *p = strcasestr(path, "/subscriptions/");
    if (!p) return;
    p += 15;
    size_t n = strcspn(p, "/?");
    if (n >= size) n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* True for "/subscriptions/<id>" or "/subscriptions/<id>?..." exactly. */
static bool is_subscription_path(const char *path) {
    const char *p = path_part(path);
    if (strlen(p) < 15 || strncasecmp(p, "/subscriptions/", 15) != 0) return false;
    p += 15;
    p += strcspn(p, "/?");
    return *p == '\0' || *p == '?' || (p[0] == '/' && (p[1] == '\0' || p[1] == '?'));
}

bool azure_error_subscription_missing(azure_api api, int status, const char *path,
                                      const char *body, size_t body_len) {
    if (api != AZURE_API_ARM || status != 404) return false;
    if (is_subscription_path(path)) return true;
    cJSON *j = body && body_len ? json_parse_len(body, body_len) : NULL;
    const char *code = j ? json_path_string(j, "error.code") : NULL;
    bool missing = code && strcasecmp(code, "SubscriptionNotFound") == 0;
    cJSON_Delete(j);
    return missing;
}

int azure_error_from_response(azure_api api, int status, const char *path, const char *body,
                              size_t body_len, err_info *err) {
    char type[128], sub[64];
    azure_error_resource_type(path, type, sizeof type);
    subscription_of(path, sub, sizeof sub);
    const char *code = NULL, *msg = NULL;
    cJSON *j = body && body_len ? json_parse_len(body, body_len) : NULL;
    if (j) {
        code = json_path_string(j, "error.code");
        msg = json_path_string(j, "error.message");
        if (!code) code = json_get_string(j, "code");
        if (!msg) msg = json_get_string(j, "message");
    }
    char *red = log_redact(msg ? msg : "");
    if (red && strlen(red) > 200) strcpy(red + 197, "...");
    const char *api_name = azure_api_name(api);
    const char *what = type[0] ? type : "the resource";
    const char *detail = red && *red ? red : "";
    err_kind kind;
    switch (status) {
    case 401: kind = ERR_AUTH; break;
    case 403: kind = ERR_FORBIDDEN; break;
    case 404: kind = ERR_NOT_FOUND; break;
    case 429: kind = ERR_THROTTLED; break;
    default: kind = ERR_UPSTREAM; break;
    }
    if (status == 404 && api == AZURE_API_ARM &&
        ((code && strcasecmp(code, "SubscriptionNotFound") == 0) || is_subscription_path(path))) {
        kind = ERR_NOT_FOUND;
        err_set(err, ERR_NOT_FOUND, "subscription %s was not found (%s)", sub,
                code ? code : "HTTP 404");
        err_hint(err, "check subscriptionId and that the service principal can read subscription %s",
                 sub);
    } else {
        err_set(err, kind, "%s returned %d %s for %s%s%s", api_name, status,
                code ? code : "", what, *detail ? ": " : "", detail);
        if (status == 403 || status == 401) {
            if (api == AZURE_API_GRAPH)
                err_hint(err, "grant the Microsoft Graph application permission "
                              "Directory.Read.All and admin consent");
            else if (api == AZURE_API_ARM && strchr(type, '.') && sub[0])
                err_hint(err, "the service principal likely lacks %s/read: grant the Reader role "
                              "(which includes it) on subscription %s", type, sub);
            else if (api == AZURE_API_ARM && sub[0])
                err_hint(err, "grant the Reader role on subscription %s", sub);
            else if (api == AZURE_API_ARM)
                err_hint(err, "grant the Reader role on the subscriptions to ingest");
            else
                err_hint(err, "grant the Storage Blob Data Reader / Storage Queue Data Reader role");
        } else if (status == 429) {
            err_hint(err, "Azure kept throttling; run the job later or with lower concurrency");
        }
    }
    err->http_status = status;
    free(red);
    cJSON_Delete(j);
    return -1;
}

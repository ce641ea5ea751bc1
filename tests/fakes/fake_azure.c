/*
 * fake_azure: core of the fake Azure server (behaviour in fake_azure.h).
 *
 * One libmicrohttpd daemon, a thread per connection (so injected latency
 * and slow answers block only their own connection, like a real server).
 * A request is answered by the first of: a fault rule, a recorded or canned
 * answer, a Graph JSON batch (each of its requests answered by this same
 * sequence), a token endpoint answer, the generated tenant, else 404 (listed
 * as unmatched).  Recordings are indexed by a normalized key
 * "METHOD path?k=v&k=v": path percent-decoded, lower-cased (ARM paths are
 * case-insensitive), repeated slashes collapsed; query parameters decoded
 * and sorted.  Storage data-plane hosts keep their host in the key
 * ("/__storage/{account}/{service}/path") because their paths alone
 * ("/?comp=list") collide; tests point AZURE_STORAGE_URL_TEMPLATE at
 * "<fake>/__storage/{account}/{service}".
 */
#include "fakes/fake_azure.h"

#include "fakes/fake_azure_internal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Paths kept for fake_azure_count_path (a benchmark's millions of requests
 * are counted but not kept). */
#define FAKE_MAX_SEEN 200000

typedef struct canned {
    int status;
    char *content_type;
    char *retry_after;
    char *extra_header;      /* "name\0value" pairs are not needed: one optional header */
    char *extra_value;
    char *body;
    size_t body_len;
} canned;

typedef struct route {
    char *key;
    canned *answers;
    size_t count, cap;
    size_t served;
} route;

typedef struct fault_rule {
    fake_azure_fault f;
    char *match, *method, *retry_after, *body;
    int remaining;   /* -1 = forever */
} fault_rule;

typedef struct path_count {
    char *prefix;
    int64_t n;
} path_count;

struct fake_azure {
    struct MHD_Daemon *daemon;
    fake_azure_options opts;
    char url[64];
    pthread_mutex_t mu;
    route *routes;
    size_t nroutes, caproutes;
    fault_rule *faults;
    size_t nfaults, capfaults;
    char **unmatched;
    size_t nunmatched, capunmatched;
    char **seen_paths;        /* every request's "path?query", for count_path */
    size_t nseen, capseen;
    fake_gen *gen;
    fake_azure_counts counts;
    int in_flight;
    long token_serial;
    char last_form[2048];
};

/* ---- small helpers ---- */

static void *grow(void *p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return p;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need) c *= 2;
    void *q = realloc(p, c * elem);
    if (q) *cap = c;
    return q;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) (and '+' as space when plus) into a new string. */
static char *pct_decode(const char *s, size_t n, bool plus) {
    char *o = malloc(n + 1);
    if (!o) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            o[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (plus && s[i] == '+') {
            o[j++] = ' ';
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = '\0';
    return o;
}

/* Collapses repeated slashes, lower-cases. In place. */
static void norm_path(char *p) {
    char *w = p;
    for (char *r = p; *r; r++) {
        if (*r == '/' && w > p && w[-1] == '/') continue;
        *w++ = (char)tolower((unsigned char)*r);
    }
    *w = '\0';
    size_t n = strlen(p);
    if (n > 1 && p[n - 1] == '/') p[n - 1] = '\0';
}

static int param_cmp(const void *a, const void *b) {
    const fake_param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static void params_free(fake_param *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(p[i].key);
        free(p[i].value);
    }
    free(p);
}

/* Parses a raw query "a=b&c=d" into sorted decoded params. */
static fake_param *parse_query(const char *q, size_t *n) {
    *n = 0;
    size_t cap = 0;
    fake_param *ps = NULL;
    while (q && *q) {
        size_t len = strcspn(q, "&");
        if (len > 0) {
            const char *eq = memchr(q, '=', len);
            size_t klen = eq ? (size_t)(eq - q) : len;
            fake_param *np = grow(ps, &cap, *n + 1, sizeof *ps);
            if (!np) break;
            ps = np;
            ps[*n].key = pct_decode(q, klen, true);
            ps[*n].value = eq ? pct_decode(eq + 1, len - klen - 1, true) : strdup("");
            (*n)++;
        }
        q += len;
        if (*q == '&') q++;
    }
    if (ps) qsort(ps, *n, sizeof *ps, param_cmp);
    return ps;
}

const char *fake_request_param(const fake_request *r, const char *key) {
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].key, key) == 0) return r->params[i].value;
    return NULL;
}

static void key_of(sbuf *k, const char *method, const char *path, const fake_param *ps,
                   size_t n) {
    sbuf_puts(k, method);
    sbuf_putc(k, ' ');
    sbuf_puts(k, path);
    for (size_t i = 0; i < n; i++) {
        sbuf_putc(k, i ? '&' : '?');
        sbuf_puts(k, ps[i].key);
        sbuf_putc(k, '=');
        sbuf_puts(k, ps[i].value);
    }
}

static bool is_token_path(const char *path) { return strstr(path, "/oauth2/") != NULL; }

/* client_id of a token request's form body, reduced to [A-Za-z0-9._-]
 * (it becomes part of the token and of throttling bucket names). */
static void form_client_id(const char *body, size_t len, char *out, size_t size) {
    size_t o = 0;
    const char *key = "client_id=";
    for (size_t i = 0; i + 10 <= len; i++) {
        if ((i == 0 || body[i - 1] == '&') && memcmp(body + i, key, 10) == 0) {
            for (size_t j = i + 10; j < len && body[j] != '&' && o + 1 < size; j++) {
                char c = body[j];
                if (isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-') out[o++] = c;
            }
            break;
        }
    }
    out[o] = '\0';
}

/* The client id a generated bearer token names ("fake-access-token-N.<client>"). */
static const char *token_principal(struct MHD_Connection *conn) {
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *t = h ? strstr(h, "fake-access-token-") : NULL;
    const char *dot = t ? strchr(t, '.') : NULL;
    return dot ? dot + 1 : "";
}

/* Normalized key of a recorded absolute URL. */
static char *key_of_url(const char *method, const char *url) {
    const char *p = strstr(url, "://");
    const char *host = p ? p + 3 : url;
    const char *path = strchr(host, '/');
    if (!path) path = host + strlen(host);
    size_t hostlen = (size_t)(path - host);
    const char *q = strchr(path, '?');
    size_t plen = q ? (size_t)(q - path) : strlen(path);
    sbuf raw = SBUF_INIT;
    /* Storage data plane: keep the host. */
    const char *dot = memchr(host, '.', hostlen);
    if (dot && hostlen > 17 && strncasecmp(host + hostlen - 17, ".core.windows.net", 17) == 0) {
        const char *svc = dot + 1;
        const char *svc_end = memchr(svc, '.', (size_t)(host + hostlen - svc));
        sbuf_puts(&raw, "/__storage/");
        sbuf_append(&raw, host, (size_t)(dot - host));
        sbuf_putc(&raw, '/');
        if (svc_end) sbuf_append(&raw, svc, (size_t)(svc_end - svc));
    }
    sbuf_append(&raw, path, plen);
    char *dp = pct_decode(sbuf_str(&raw), raw.len, false);
    sbuf_free(&raw);
    if (!dp) return NULL;
    norm_path(dp);
    size_t n = 0;
    fake_param *ps = (q && !is_token_path(dp)) ? parse_query(q + 1, &n) : NULL;
    sbuf k = SBUF_INIT;
    key_of(&k, method, dp, ps, n);
    params_free(ps, n);
    free(dp);
    return sbuf_take(&k);
}

/* Replaces every recorded Azure origin in text with the fake's URL. */
static char *rewrite_hosts(const fake_azure *f, const char *text, size_t *len) {
    static const char *const origins[] = {"https://graph.microsoft.com",
                                          "https://management.azure.com",
                                          "https://login.microsoftonline.com"};
    sbuf o = SBUF_INIT;
    const char *p = text;
    while (*p) {
        size_t best = 0;
        for (size_t i = 0; i < sizeof origins / sizeof origins[0]; i++) {
            size_t n = strlen(origins[i]);
            if (strncmp(p, origins[i], n) == 0 && n > best) best = n;
        }
        if (best) {
            sbuf_puts(&o, f->url);
            p += best;
        } else {
            sbuf_putc(&o, *p++);
        }
    }
    sbuf_putc(&o, '\0');
    o.len--;
    *len = o.len;
    return sbuf_take(&o);
}

static route *route_of(fake_azure *f, const char *key, bool create) {
    for (size_t i = 0; i < f->nroutes; i++)
        if (strcmp(f->routes[i].key, key) == 0) return &f->routes[i];
    if (!create) return NULL;
    route *r = grow(f->routes, &f->caproutes, f->nroutes + 1, sizeof *r);
    if (!r) return NULL;
    f->routes = r;
    r = &f->routes[f->nroutes];
    memset(r, 0, sizeof *r);
    r->key = strdup(key);
    if (!r->key) return NULL;
    f->nroutes++;
    return r;
}

static int add_canned(fake_azure *f, const char *key, int status, const char *ctype,
                      const char *retry_after, const char *extra_name, const char *extra_value,
                      const char *body) {
    pthread_mutex_lock(&f->mu);
    route *r = route_of(f, key, true);
    canned *a = r ? grow(r->answers, &r->cap, r->count + 1, sizeof *a) : NULL;
    if (!a) {
        pthread_mutex_unlock(&f->mu);
        return -1;
    }
    r->answers = a;
    a = &r->answers[r->count++];
    memset(a, 0, sizeof *a);
    a->status = status;
    a->content_type = strdup(ctype ? ctype : "application/json");
    a->retry_after = retry_after ? strdup(retry_after) : NULL;
    a->extra_header = extra_name ? strdup(extra_name) : NULL;
    a->extra_value = extra_value ? strdup(extra_value) : NULL;
    a->body = rewrite_hosts(f, body ? body : "", &a->body_len);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

/* ---- HAR loading ---- */

static const char *har_header(const cJSON *headers, const char *name) {
    const cJSON *h;
    cJSON_ArrayForEach(h, headers) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(h, "name");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "value");
        if (cJSON_IsString(n) && cJSON_IsString(v) && strcasecmp(n->valuestring, name) == 0)
            return v->valuestring;
    }
    return NULL;
}

int fake_azure_load_har(fake_azure *f, const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "fake_azure: cannot open %s\n", path);
        return -1;
    }
    sbuf text = SBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) sbuf_append(&text, buf, n);
    fclose(fp);
    cJSON *har = cJSON_ParseWithLength(sbuf_str(&text), text.len);
    sbuf_free(&text);
    if (!har) {
        fprintf(stderr, "fake_azure: %s is not JSON\n", path);
        return -1;
    }
    int loaded = 0;
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(har, "log"), "entries");
    const cJSON *e;
    cJSON_ArrayForEach(e, entries) {
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(e, "request");
        const cJSON *resp = cJSON_GetObjectItemCaseSensitive(e, "response");
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(req, "url");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(resp, "status");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(resp, "content");
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(content, "text");
        const cJSON *headers = cJSON_GetObjectItemCaseSensitive(resp, "headers");
        if (!cJSON_IsString(method) || !cJSON_IsString(url) || !cJSON_IsNumber(status)) continue;
        char *key = key_of_url(method->valuestring, url->valuestring);
        if (!key) continue;
        const char *reads = har_header(headers, "x-ms-ratelimit-remaining-subscription-reads");
        int rc = add_canned(f, key, status->valueint, har_header(headers, "content-type"),
                            har_header(headers, "retry-after"),
                            reads ? "x-ms-ratelimit-remaining-subscription-reads" : NULL, reads,
                            cJSON_IsString(body) ? body->valuestring : "");
        free(key);
        if (rc != 0) break;
        loaded++;
    }
    cJSON_Delete(har);
    return loaded;
}

int fake_azure_load_dir(fake_azure *f, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fake_azure: cannot open directory %s\n", dir);
        return -1;
    }
    /* Sorted for a deterministic order of same-key answers. */
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char **nn = grow(names, &cap, count + 1, sizeof *names);
        if (!nn) break;
        names = nn;
        names[count++] = strdup(de->d_name);
    }
    closedir(d);
    for (size_t i = 0; i + 1 < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (names[i] && names[j] && strcmp(names[i], names[j]) > 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    int total = 0;
    for (size_t i = 0; i < count; i++) {
        if (!names[i]) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0) {
            int r = 0;
            if (S_ISDIR(st.st_mode)) r = fake_azure_load_dir(f, path);
            else if (strcmp(names[i], "recording.har") == 0) r = fake_azure_load_har(f, path);
            if (r < 0) total = -1;
            else if (total >= 0) total += r;
        }
        free(names[i]);
    }
    free(names);
    return total;
}

int fake_azure_add_response(fake_azure *f, const char *method, const char *path_and_query,
                            int status, const char *content_type, const char *body) {
    sbuf url = SBUF_INIT;
    sbuf_puts(&url, "http://fake");
    sbuf_puts(&url, path_and_query);
    char *key = key_of_url(method, sbuf_str(&url));
    sbuf_free(&url);
    if (!key) return -1;
    int rc = add_canned(f, key, status, content_type, NULL, NULL, NULL, body);
    free(key);
    return rc;
}

/* ---- faults ---- */

int fake_azure_add_fault(fake_azure *f, const fake_azure_fault *fault) {
    pthread_mutex_lock(&f->mu);
    fault_rule *r = grow(f->faults, &f->capfaults, f->nfaults + 1, sizeof *r);
    if (!r) {
        pthread_mutex_unlock(&f->mu);
        return -1;
    }
    f->faults = r;
    r = &f->faults[f->nfaults++];
    memset(r, 0, sizeof *r);
    r->f = *fault;
    r->match = strdup(fault->match ? fault->match : "");
    r->method = fault->method ? strdup(fault->method) : NULL;
    r->retry_after = fault->retry_after ? strdup(fault->retry_after) : NULL;
    r->body = fault->body ? strdup(fault->body) : NULL;
    r->remaining = fault->times > 0 ? fault->times : -1;
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static void fault_free(fault_rule *r) {
    free(r->match);
    free(r->method);
    free(r->retry_after);
    free(r->body);
}

void fake_azure_clear_faults(fake_azure *f) {
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nfaults; i++) fault_free(&f->faults[i]);
    f->nfaults = 0;
    pthread_mutex_unlock(&f->mu);
}

/* Finds the fault for a request (mutex held) and copies what to do. */
static bool take_fault(fake_azure *f, const char *method, const char *raw, fault_rule *out) {
    for (size_t i = 0; i < f->nfaults; i++) {
        fault_rule *r = &f->faults[i];
        if (r->remaining == 0) continue;
        if (r->method && strcasecmp(r->method, method) != 0) continue;
        bool hit = r->match[0] == '^' ? strncmp(raw, r->match + 1, strlen(r->match + 1)) == 0
                                      : strstr(raw, r->match) != NULL;
        if (!hit) continue;
        if (r->remaining > 0) r->remaining--;
        *out = *r;
        return true;
    }
    return false;
}

/* ---- counters ---- */

void fake_azure_get_counts(fake_azure *f, fake_azure_counts *out) {
    pthread_mutex_lock(&f->mu);
    *out = f->counts;
    pthread_mutex_unlock(&f->mu);
}

void fake_azure_reset_counts(fake_azure *f) {
    pthread_mutex_lock(&f->mu);
    memset(&f->counts, 0, sizeof f->counts);
    for (size_t i = 0; i < f->nseen; i++) free(f->seen_paths[i]);
    f->nseen = 0;
    pthread_mutex_unlock(&f->mu);
}

void fake_azure_bucket_max(fake_azure *f, int64_t *arm_reads, int64_t *graph_reads) {
    *arm_reads = *graph_reads = 0;
    if (f->gen) fake_gen_bucket_max(f->gen, arm_reads, graph_reads);
}

int64_t fake_azure_count_path(fake_azure *f, const char *prefix) {
    int64_t n = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nseen; i++)
        if (strncmp(f->seen_paths[i], prefix, strlen(prefix)) == 0) n++;
    pthread_mutex_unlock(&f->mu);
    return n;
}

size_t fake_azure_unmatched_count(fake_azure *f) {
    pthread_mutex_lock(&f->mu);
    size_t n = f->nunmatched;
    pthread_mutex_unlock(&f->mu);
    return n;
}

bool fake_azure_unmatched(fake_azure *f, size_t i, char *buf, size_t size) {
    bool ok = false;
    pthread_mutex_lock(&f->mu);
    if (i < f->nunmatched) {
        snprintf(buf, size, "%s", f->unmatched[i]);
        ok = true;
    }
    pthread_mutex_unlock(&f->mu);
    return ok;
}

bool fake_azure_seen(fake_azure *f, size_t i, char *buf, size_t size) {
    bool ok = false;
    pthread_mutex_lock(&f->mu);
    if (i < f->nseen && f->seen_paths[i]) {
        snprintf(buf, size, "%s", f->seen_paths[i]);
        ok = true;
    }
    pthread_mutex_unlock(&f->mu);
    return ok;
}

void fake_azure_last_token_form(fake_azure *f, char *buf, size_t size) {
    pthread_mutex_lock(&f->mu);
    snprintf(buf, size, "%s", f->last_form);
    pthread_mutex_unlock(&f->mu);
}

/* ---- request handling ---- */

typedef struct conn_state {
    sbuf body;
} conn_state;

typedef struct arg_collect {
    fake_param *ps;
    size_t n, cap;
} arg_collect;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    (void)kind;
    arg_collect *a = cls;
    fake_param *np = grow(a->ps, &a->cap, a->n + 1, sizeof *np);
    if (!np) return MHD_NO;
    a->ps = np;
    a->ps[a->n].key = strdup(key);
    a->ps[a->n].value = strdup(value ? value : "");
    a->n++;
    return MHD_YES;
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, int status, const char *ctype,
                                   const char *retry_after, const char *xname,
                                   const char *xvalue, const char *body, size_t len) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", ctype ? ctype : "application/json");
    if (retry_after) MHD_add_response_header(resp, "Retry-After", retry_after);
    if (xname && xvalue) MHD_add_response_header(resp, xname, xvalue);
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

static void sleep_ms(int ms) {
    if (ms <= 0) return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One request as the fake answers it: an HTTP request, or one request of a
 * Graph JSON batch (`inner`: no token endpoint, no batch, no latency, not
 * counted in requests or in flight). */
typedef struct call {
    const char *method;
    const char *url;           /* path, percent-decoded (as MHD gives it) */
    const fake_param *ps;      /* query parameters, decoded and sorted */
    size_t nps;
    const char *body;          /* request body ("" when none) */
    size_t body_len;
    const char *content_type;  /* request Content-Type, or NULL */
    const char *principal;     /* token_principal() of the HTTP request */
    bool inner;
} call;

/* An answer before it is sent (strings owned, NULL = no such header). */
typedef struct reply {
    bool drop;                 /* close the connection without an answer */
    int status;
    char *content_type;        /* NULL = application/json */
    char *retry_after;
    char *xname, *xvalue;      /* one optional extra header */
    sbuf body;
} reply;

static void reply_init(reply *r) {
    memset(r, 0, sizeof *r);
    sbuf_init(&r->body);
}

static void reply_free(reply *r) {
    free(r->content_type);
    free(r->retry_after);
    free(r->xname);
    free(r->xvalue);
    sbuf_free(&r->body);
}

static void reply_set(reply *r, int status, const char *ctype, const char *retry_after,
                      const char *xname, const char *xvalue, const char *body, size_t len) {
    r->status = status;
    r->content_type = ctype ? strdup(ctype) : NULL;
    r->retry_after = retry_after ? strdup(retry_after) : NULL;
    r->xname = xname ? strdup(xname) : NULL;
    r->xvalue = xvalue ? strdup(xvalue) : NULL;
    sbuf_append(&r->body, body, len);
    if (sbuf_failed(&r->body)) r->drop = true;
}

static void compute(fake_azure *f, const call *c, reply *out);

/* ---- Graph JSON batching (POST /v1.0/$batch) ---- */

#define FAKE_BATCH_MAX 20

/* A batch request's method in canonical case, or NULL when not one Graph
 * accepts in a batch. */
static const char *batch_method(const char *m) {
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (strcasecmp(m, methods[i]) == 0) return methods[i];
    return NULL;
}

static const char *batch_str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* Why Graph refuses the whole batch (400), or NULL when it is well formed:
 * 1..20 requests, each with a string id (unique), method and url, the url
 * relative to the version ("/groups/..." or "groups/..."). */
static const char *batch_refusal(const cJSON *reqs) {
    if (!cJSON_IsArray(reqs)) return "Invalid batch payload format: no requests array.";
    int n = cJSON_GetArraySize(reqs);
    if (n == 0) return "Invalid batch payload format: the requests array is empty.";
    if (n > FAKE_BATCH_MAX) return "Number of batch requests exceeds the limit of 20.";
    const cJSON *rq;
    cJSON_ArrayForEach(rq, reqs) {
        const char *id = batch_str(rq, "id"), *m = batch_str(rq, "method");
        const char *u = batch_str(rq, "url");
        if (!id || !m || !u) return "Invalid batch payload format: a request lacks id/method/url.";
        if (!batch_method(m)) return "Invalid batch payload format: unsupported method.";
        const char *q = strchr(u, '?');
        size_t plen = q ? (size_t)(q - u) : strlen(u);
        const char *sep = strstr(u, "://");
        if (sep && (size_t)(sep - u) < plen) return "Invalid request URL: must be relative.";
        const char *v = u[0] == '/' ? u + 1 : u;
        if (strncasecmp(v, "v1.0", 4) == 0 && (v[4] == '/' || v[4] == '?' || v[4] == '\0'))
            return "Invalid request URL: relative to the version, without /v1.0.";
        for (const cJSON *o = reqs->child; o != rq; o = o->next)
            if (strcmp(batch_str(o, "id"), id) == 0)
                return "Invalid batch payload format: duplicate request id.";
    }
    return NULL;
}

/* Answers one request of a batch as the same GET of "/v1.0" + url would be
 * answered (its url parsed as MHD parses a request line). */
static void batch_one(fake_azure *f, const call *outer, const cJSON *rq, reply *out) {
    const char *u = batch_str(rq, "url");
    size_t plen = strcspn(u, "?");
    sbuf p = SBUF_INIT;
    char *path = NULL;
    size_t n = 0;
    fake_param *ps = u[plen] == '?' ? parse_query(u + plen + 1, &n) : NULL;
    bool ok = true;
    for (size_t i = 0; i < n; i++) ok = ok && ps[i].key && ps[i].value;
    sbuf_puts(&p, u[0] == '/' ? "/v1.0" : "/v1.0/");
    sbuf_append(&p, u, plen);
    if (!ok || sbuf_failed(&p) || !(path = pct_decode(sbuf_str(&p), p.len, false))) {
        out->drop = true;
        goto done;
    }
    call c = {.method = batch_method(batch_str(rq, "method")), .url = path, .ps = ps,
              .nps = n, .body = "", .principal = outer->principal, .inner = true};
    compute(f, &c, out);
done:
    free(path);
    params_free(ps, n);
    sbuf_free(&p);
}

/* Appends one entry of "responses". */
static void batch_response(sbuf *o, const char *id, const reply *r) {
    sbuf_puts(o, "{\"id\":");
    sbuf_json_string(o, id);
    sbuf_printf(o, ",\"status\":%d,\"headers\":{\"Content-Type\":", r->status);
    sbuf_json_string(o, r->content_type ? r->content_type : "application/json");
    if (r->retry_after) {
        sbuf_puts(o, ",\"Retry-After\":");
        sbuf_json_string(o, r->retry_after);
    }
    if (r->xname && r->xvalue) {
        sbuf_putc(o, ',');
        sbuf_json_string(o, r->xname);
        sbuf_putc(o, ':');
        sbuf_json_string(o, r->xvalue);
    }
    sbuf_putc(o, '}');
    if (r->body.len > 0) {
        /* JSON as JSON; anything else as a string. */
        const char *text = sbuf_str(&r->body);
        cJSON *j = strlen(text) == r->body.len ? cJSON_ParseWithOpts(text, NULL, true) : NULL;
        sbuf_puts(o, ",\"body\":");
        if (j) sbuf_append(o, text, r->body.len);
        else sbuf_json_string(o, text);
        cJSON_Delete(j);
    }
    sbuf_putc(o, '}');
}

/* POST /v1.0/$batch: 400 for a malformed batch, else 200 with one response
 * per request, in request order.  An inner request that a fault rule drops
 * drops the whole batch connection. */
static void batch(fake_azure *f, const call *c, reply *out) {
    const char *why = NULL;
    cJSON *doc = NULL;
    pthread_mutex_lock(&f->mu);
    f->counts.batch_requests++;
    pthread_mutex_unlock(&f->mu);
    if (!c->content_type || strncasecmp(c->content_type, "application/json", 16) != 0) {
        why = "Invalid batch payload format: Content-Type must be application/json.";
        goto done;
    }
    doc = cJSON_ParseWithLength(c->body, c->body_len);
    if (!doc) {
        why = "Invalid batch payload format: the body is not JSON.";
        goto done;
    }
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(doc, "requests");
    if ((why = batch_refusal(reqs))) goto done;
    sbuf_puts(&out->body, "{\"responses\":[");
    const cJSON *rq;
    cJSON_ArrayForEach(rq, reqs) {
        reply r;
        reply_init(&r);
        batch_one(f, c, rq, &r);
        if (!r.drop) {
            if (rq != reqs->child) sbuf_putc(&out->body, ',');
            batch_response(&out->body, batch_str(rq, "id"), &r);
        }
        out->drop = out->drop || r.drop;
        reply_free(&r);
        if (out->drop) goto done;
    }
    sbuf_puts(&out->body, "]}");
    out->status = 200;
done:
    if (why) {
        out->status = 400;
        sbuf_reset(&out->body);
        sbuf_puts(&out->body, "{\"error\":{\"code\":\"BadRequest\",\"message\":");
        sbuf_json_string(&out->body, why);
        sbuf_puts(&out->body, "}}");
    }
    if (sbuf_failed(&out->body)) out->drop = true;
    cJSON_Delete(doc);
}

/* ---- answering ---- */

/* The answer to one request: the first of a fault rule, a recorded or
 * canned answer, a batch, a token, the generated tenant, else 404. */
static void compute(fake_azure *f, const call *c, reply *out) {
    char *path = strdup(c->url);
    sbuf key = SBUF_INIT, raw = SBUF_INIT;
    fake_answer gen;
    memset(&gen, 0, sizeof gen);
    sbuf_init(&gen.body);
    gen.remaining_reads = -1;
    bool in_flight = false;
    if (!path) {
        out->drop = true;
        goto done;
    }
    norm_path(path);
    bool token = !c->inner && strcmp(c->method, "POST") == 0 && is_token_path(path);
    key_of(&key, c->method, path, token ? NULL : c->ps, token ? 0 : c->nps);
    /* raw (for faults and counts): path?query in the client's order is not
     * available from MHD; the normalized form is used. */
    sbuf_puts(&raw, c->url);
    for (size_t i = 0; i < c->nps; i++) {
        sbuf_putc(&raw, i ? '&' : '?');
        sbuf_puts(&raw, c->ps[i].key);
        sbuf_putc(&raw, '=');
        sbuf_puts(&raw, c->ps[i].value);
    }

    fault_rule fault;
    bool faulted;
    pthread_mutex_lock(&f->mu);
    if (c->inner) f->counts.batched++;
    else f->counts.requests++;
    if (token) {
        f->counts.token_requests++;
        size_t n = c->body_len < sizeof f->last_form - 1 ? c->body_len : sizeof f->last_form - 1;
        memcpy(f->last_form, c->body, n);
        f->last_form[n] = '\0';
    }
    if (f->nseen < FAKE_MAX_SEEN) {
        char **np = grow(f->seen_paths, &f->capseen, f->nseen + 1, sizeof *np);
        if (np) {
            f->seen_paths = np;
            f->seen_paths[f->nseen++] = strdup(sbuf_str(&raw));
        }
    }
    if (!c->inner) {
        in_flight = true;
        f->in_flight++;
        if (f->in_flight > f->counts.max_in_flight) f->counts.max_in_flight = f->in_flight;
    }
    faulted = take_fault(f, c->method, sbuf_str(&raw), &fault);
    if (faulted) f->counts.faults++;
    pthread_mutex_unlock(&f->mu);

    if (!c->inner) sleep_ms(f->opts.latency_ms);
    if (faulted) {
        sleep_ms(fault.f.delay_ms);
        if (fault.f.kind == FAKE_FAULT_DROP) {
            out->drop = true;
            goto done;
        }
        if (fault.f.kind == FAKE_FAULT_STATUS) {
            char dflt[160];
            snprintf(dflt, sizeof dflt,
                     "{\"error\":{\"code\":\"%s\",\"message\":\"injected %d\"}}",
                     fault.f.status == 403   ? "AuthorizationFailed"
                     : fault.f.status == 401 ? "InvalidAuthenticationToken"
                     : fault.f.status == 429 ? "TooManyRequests"
                                             : "InternalServerError",
                     fault.f.status);
            const char *b = fault.body ? fault.body : dflt;
            reply_set(out, fault.f.status, "application/json", fault.retry_after, NULL, NULL, b,
                      strlen(b));
            goto done;
        }
    }

    /* Recorded / canned answers. */
    pthread_mutex_lock(&f->mu);
    route *r = route_of(f, sbuf_str(&key), false);
    if ((!r || r->count == 0) && !token) {
        /* A recording made without the $top or $select sent now answers
         * it: a page may hold fewer items than $top asks for, and the
         * recorded objects have every property, a superset of any
         * selection (the client must cope with extra members).  Tried
         * without $top, then without $select, then without both. */
        static const unsigned drops[] = {1u, 2u, 3u}; /* bit 0 $top, bit 1 $select */
        for (size_t d = 0; d < sizeof drops / sizeof *drops && (!r || r->count == 0); d++) {
            fake_param kept[64];
            size_t nk = 0;
            for (size_t i = 0; i < c->nps && nk < 64; i++) {
                bool top = strcmp(c->ps[i].key, "$top") == 0;
                bool select = strcmp(c->ps[i].key, "$select") == 0;
                if (!((top && (drops[d] & 1u)) || (select && (drops[d] & 2u))))
                    kept[nk++] = c->ps[i];
            }
            if (nk < c->nps) {
                sbuf k2 = SBUF_INIT;
                key_of(&k2, c->method, path, kept, nk);
                r = route_of(f, sbuf_str(&k2), false);
                sbuf_free(&k2);
            }
        }
    }
    if (r && r->count > 0) {
        canned *a = &r->answers[r->served < r->count ? r->served : r->count - 1];
        if (token) {
            /* Several recordings hold the same tenant's token endpoint,
             * some of them failing on purpose (authenticate-invalid): when
             * the tenant has a successful answer, only those are served; a
             * test wanting a token error injects a fault. */
            size_t ok = 0;
            for (size_t i = 0; i < r->count; i++) ok += r->answers[i].status < 300;
            size_t want = r->served < ok ? r->served : ok - 1;
            for (size_t i = 0, k = 0; ok && i < r->count; i++)
                if (r->answers[i].status < 300 && k++ == want) a = &r->answers[i];
        }
        r->served++;
        /* Copy out under the lock (answers are immutable, routes may grow). */
        reply_set(out, a->status, a->content_type, a->retry_after, a->extra_header,
                  a->extra_value, a->body, a->body_len);
        pthread_mutex_unlock(&f->mu);
        goto done;
    }
    long serial = token ? ++f->token_serial : 0; /* distinct tokens, numbered */
    pthread_mutex_unlock(&f->mu);

    if (!c->inner && strcmp(c->method, "POST") == 0 && strcmp(path, "/v1.0/$batch") == 0) {
        batch(f, c, out);
        goto done;
    }
    if (token) {
        char client[128], head[160];
        form_client_id(c->body, c->body_len, client, sizeof client);
        /* "fake-access-token-N[-AAA...].<client>": padded to token_bytes
         * before the dot, which token_principal() looks for. */
        int hn = snprintf(head, sizeof head, "fake-access-token-%ld", serial);
        size_t used = (size_t)hn + 1 + strlen(client);
        size_t want = f->opts.token_bytes > 0 ? (size_t)f->opts.token_bytes : 0;
        size_t pad = want > used + 1 ? want - used : 0;
        sbuf tok = SBUF_INIT;
        sbuf_printf(&tok,
                    "{\"token_type\":\"Bearer\",\"expires_in\":%d,\"ext_expires_in\":%d,"
                    "\"access_token\":\"%s",
                    f->opts.token_expires_in, f->opts.token_expires_in, head);
        if (pad > 0) {
            sbuf_putc(&tok, '-');
            for (size_t i = 1; i < pad; i++) sbuf_putc(&tok, 'A');
        }
        sbuf_printf(&tok, ".%s\"}", client);
        reply_set(out, 200, "application/json", NULL, NULL, NULL, sbuf_str(&tok), tok.len);
        sbuf_free(&tok);
        goto done;
    }
    if (f->gen) {
        fake_request fr = {.method = c->method, .path = c->url, .params = c->ps,
                           .nparams = c->nps, .principal = c->principal};
        bool throttled = false;
        if (fake_gen_answer(f->gen, &fr, &gen, &throttled)) {
            if (throttled) {
                pthread_mutex_lock(&f->mu);
                f->counts.throttled++;
                pthread_mutex_unlock(&f->mu);
            }
            reply_set(out, gen.status, gen.content_type[0] ? gen.content_type : "application/json",
                      gen.retry_after[0] ? gen.retry_after : NULL,
                      gen.remaining_reads >= 0 ? "x-ms-ratelimit-remaining-subscription-reads"
                                               : NULL,
                      gen.remaining_reads >= 0 ? gen.remaining_reads_text : NULL,
                      sbuf_str(&gen.body), gen.body.len);
            goto done;
        }
    }
    pthread_mutex_lock(&f->mu);
    char **nu = grow(f->unmatched, &f->capunmatched, f->nunmatched + 1, sizeof *nu);
    if (nu) {
        f->unmatched = nu;
        sbuf u = SBUF_INIT;
        sbuf_printf(&u, "%s %s", c->method, sbuf_str(&raw));
        f->unmatched[f->nunmatched++] = sbuf_take(&u);
    }
    pthread_mutex_unlock(&f->mu);
    {
        static const char nf[] =
            "{\"error\":{\"code\":\"NotFound\",\"message\":\"fake_azure: no recording\"}}";
        reply_set(out, 404, "application/json", NULL, NULL, NULL, nf, sizeof nf - 1);
    }
done:
    if (in_flight) {
        pthread_mutex_lock(&f->mu);
        f->in_flight--;
        pthread_mutex_unlock(&f->mu);
    }
    sbuf_free(&gen.body);
    sbuf_free(&key);
    sbuf_free(&raw);
    free(path);
}

static enum MHD_Result answer(fake_azure *f, struct MHD_Connection *conn, const char *method,
                              const char *url, const char *body, size_t body_len) {
    arg_collect args = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
    if (args.ps) qsort(args.ps, args.n, sizeof *args.ps, param_cmp);
    call c = {.method = method, .url = url, .ps = args.ps, .nps = args.n, .body = body,
              .body_len = body_len,
              .content_type =
                  MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
              .principal = token_principal(conn)};
    reply r;
    reply_init(&r);
    compute(f, &c, &r);
    enum MHD_Result result =
        r.drop ? MHD_NO
               : send_answer(conn, r.status, r.content_type, r.retry_after, r.xname, r.xvalue,
                             sbuf_str(&r.body), r.body.len);
    reply_free(&r);
    params_free(args.ps, args.n);
    return result;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls) {
    (void)version;
    fake_azure *f = cls;
    conn_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st) return MHD_NO;
        sbuf_init(&st->body);
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        sbuf_append(&st->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return answer(f, conn, method, url, sbuf_str(&st->body), st->body.len);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    conn_state *st = *con_cls;
    if (st) {
        sbuf_free(&st->body);
        free(st);
        *con_cls = NULL;
    }
}

fake_azure *fake_azure_start(const fake_azure_options *opts) {
    fake_azure *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    if (opts) f->opts = *opts;
    if (f->opts.token_expires_in <= 0) f->opts.token_expires_in = 3599;
    pthread_mutex_init(&f->mu, NULL);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(f->opts.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
            MHD_USE_POLL,
        f->opts.port, NULL, NULL, on_request, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, f, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)120, MHD_OPTION_END);
    if (!f->daemon) {
        fprintf(stderr, "fake_azure: cannot start the HTTP daemon\n");
        pthread_mutex_destroy(&f->mu);
        free(f);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", info ? info->port : 0);
    return f;
}

int fake_azure_generate(fake_azure *f, const fake_azure_tenant *tenant) {
    fake_gen *g = fake_gen_new(tenant, f->url, f->opts.throttle, f->opts.graph_burst,
                               f->opts.graph_refill_per_s);
    if (!g) return -1;
    pthread_mutex_lock(&f->mu);
    fake_gen *old = f->gen;
    f->gen = g;
    pthread_mutex_unlock(&f->mu);
    fake_gen_free(old);
    return 0;
}

int fake_azure_generated_type_count(void) { return (int)fake_gen_type_count; }

const char *fake_azure_url(const fake_azure *f) { return f->url; }

void fake_azure_stop(fake_azure *f) {
    if (!f) return;
    MHD_stop_daemon(f->daemon);
    for (size_t i = 0; i < f->nroutes; i++) {
        route *r = &f->routes[i];
        for (size_t j = 0; j < r->count; j++) {
            free(r->answers[j].content_type);
            free(r->answers[j].retry_after);
            free(r->answers[j].extra_header);
            free(r->answers[j].extra_value);
            free(r->answers[j].body);
        }
        free(r->answers);
        free(r->key);
    }
    free(f->routes);
    for (size_t i = 0; i < f->nfaults; i++) fault_free(&f->faults[i]);
    free(f->faults);
    for (size_t i = 0; i < f->nunmatched; i++) free(f->unmatched[i]);
    free(f->unmatched);
    for (size_t i = 0; i < f->nseen; i++) free(f->seen_paths[i]);
    free(f->seen_paths);
    fake_gen_free(f->gen);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

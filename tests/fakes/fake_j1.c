/*
 * fake_j1: see fake_j1.h.
 *
 * One mutex guards all state; request bodies are accumulated per connection
 * and handled when complete.  Objects are kept as (kind, _key, _type, flags)
 * rather than full JSON so that the end-to-end benchmark can push millions
 * through it; an open-addressing hash on (kind, _key) finds duplicates.
 * Upload delays are slept outside the lock so concurrent uploads overlap and
 * max_concurrent_uploads measures the client's parallelism.
 */
#include "fakes/fake_j1.h"

#include "common/sbuf.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct rec {
    char *key, *type;
    unsigned char kind;
    bool has_raw, truncated;
    size_t seen;       /* on the first recording only */
} rec;

typedef struct job {
    char id[40];
    char status[40];
    char *partial_json;
    char *abort_reason;
} job;

struct fake_j1 {
    struct MHD_Daemon *daemon;
    char url[64];
    char *api_key, *account_id;
    pthread_mutex_t mu;
    fake_j1_faults faults;
    fake_j1_counts counts;
    size_t concurrent;
    rec *recs;
    size_t nrecs, caprecs;
    size_t *slots;     /* index+1 into recs, 0 = empty */
    size_t nslots, used;
    job *jobs;
    size_t njobs, capjobs;
};

typedef struct conn_state {
    sbuf body;
} conn_state;

/* ---- object index ----------------------------------------------------- */

static uint64_t hash_key(unsigned kind, const char *key)
{
    uint64_t h = 1469598103934665603ULL ^ kind;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static size_t *slot_for(fake_j1 *f, unsigned kind, const char *key)
{
    size_t m = f->nslots - 1;
    for (size_t i = hash_key(kind, key) & m;; i = (i + 1) & m) {
        size_t s = f->slots[i];
        if (!s || (f->recs[s - 1].kind == kind && strcmp(f->recs[s - 1].key, key) == 0))
            return &f->slots[i];
    }
}

static bool grow_slots(fake_j1 *f)
{
    size_t n = f->nslots ? f->nslots * 2 : 1024;
    size_t *old = f->slots, oldn = f->nslots;
    f->slots = calloc(n, sizeof *f->slots);
    if (!f->slots) {
        f->slots = old;
        return false;
    }
    f->nslots = n;
    for (size_t i = 0; i < oldn; i++)
        if (old[i]) {
            rec *r = &f->recs[old[i] - 1];
            *slot_for(f, r->kind, r->key) = old[i];
        }
    free(old);
    return true;
}

static bool raw_truncated(const cJSON *raw)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, raw) {
        const cJSON *rd = cJSON_GetObjectItemCaseSensitive(e, "rawData"), *p;
        cJSON_ArrayForEach(p, rd) if (cJSON_IsString(p) && strcmp(p->valuestring, "TRUNCATED") == 0) return true;
    }
    return false;
}

/* Caller holds the lock. */
static void record(fake_j1 *f, unsigned kind, const cJSON *o)
{
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "_key"));
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "_type"));
    if (f->nrecs == f->caprecs) {
        size_t cap = f->caprecs ? f->caprecs * 2 : 1024;
        rec *p = realloc(f->recs, cap * sizeof *p);
        if (!p)
            return;
        f->recs = p;
        f->caprecs = cap;
    }
    if ((f->used + 1) * 2 > f->nslots && !grow_slots(f))
        return;
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(o, "_rawData");
    rec r = {strdup(key), strdup(type), (unsigned char)kind, raw != NULL, raw && raw_truncated(raw), 1};
    if (!r.key || !r.type) {
        free(r.key);
        free(r.type);
        return;
    }
    f->recs[f->nrecs++] = r;
    size_t *s = slot_for(f, kind, key);
    if (*s) {
        f->recs[*s - 1].seen++;
        f->counts.duplicates++;
    } else {
        *s = f->nrecs;
        f->used++;
    }
    if (kind == FAKE_J1_ENTITY)
        f->counts.entities++;
    else
        f->counts.relationships++;
}

/* ---- answers ---------------------------------------------------------- */

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, const char *body,
                                 int retry_after)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (retry_after > 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", retry_after);
        MHD_add_response_header(resp, "Retry-After", v);
    }
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result send_error(fake_j1 *f, struct MHD_Connection *conn, unsigned status,
                                  const char *code, const char *msg)
{
    char body[512];
    snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
    pthread_mutex_lock(&f->mu);
    f->counts.bad_requests++;
    pthread_mutex_unlock(&f->mu);
    return send_json(conn, status, body, 0);
}

/* Caller holds the lock. */
static char *job_json(const job *j)
{
    char *t = NULL;
    if (asprintf(&t, "{\"job\":{\"id\":\"%s\",\"source\":\"integration-managed\",\"status\":\"%s\","
                     "\"startTimestamp\":1700000000000,\"numEntitiesUploaded\":0,"
                     "\"numRelationshipsUploaded\":0}}", j->id, j->status) < 0)
        return NULL;
    return t;
}

static job *find_job(fake_j1 *f, const char *id, size_t len)
{
    for (size_t i = 0; i < f->njobs; i++)
        if (strlen(f->jobs[i].id) == len && strncmp(f->jobs[i].id, id, len) == 0)
            return &f->jobs[i];
    return NULL;
}

static bool is_uuid_v4(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!strchr("0123456789abcdefABCDEF", s[i]))
            return false;
    }
    return s[14] == '4';
}

static bool headers_ok(fake_j1 *f, struct MHD_Connection *conn, bool post)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *acct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "JupiterOne-Account");
    if (!acct)  /* the header's legacy name, sent by SDK releases up to 8.x and still accepted */
        acct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "LifeOmic-Account");
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0 || !auth[7])
        return false;
    if (f->api_key && strcmp(auth + 7, f->api_key) != 0)
        return false;
    if (!acct || !*acct || (f->account_id && strcmp(acct, f->account_id) != 0))
        return false;
    if (post && (!ct || strncasecmp(ct, "application/json", 16) != 0))
        return false;
    return true;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static enum MHD_Result handle_upload(fake_j1 *f, struct MHD_Connection *conn, job *jb_unused,
                                     const char *job_id, size_t id_len, unsigned kind,
                                     const char *body, size_t len)
{
    (void)jb_unused;
    const char *corr = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "JupiterOne-Correlation-Id");
    if (!is_uuid_v4(corr))
        return send_error(f, conn, 400, "BAD_CORRELATION_ID", "JupiterOne-Correlation-Id must be a UUID v4");
    pthread_mutex_lock(&f->mu);
    f->counts.upload_requests++;
    if (len > f->counts.max_upload_body)
        f->counts.max_upload_body = len;
    f->concurrent++;
    if (f->concurrent > f->counts.max_concurrent_uploads)
        f->counts.max_concurrent_uploads = f->concurrent;
    int delay = f->faults.delay_ms;
    pthread_mutex_unlock(&f->mu);
    if (delay > 0)
        sleep_ms(delay);

    enum MHD_Result res;
    cJSON *doc = NULL;
    pthread_mutex_lock(&f->mu);
    f->concurrent--;
    job *j = find_job(f, job_id, id_len);
    unsigned status = 0;
    int retry_after = 0;
    const char *code = NULL;
    if (!j) {
        pthread_mutex_unlock(&f->mu);
        return send_error(f, conn, 404, "JOB_NOT_FOUND", "no such synchronization job");
    }
    if (f->faults.not_awaiting || strcmp(j->status, "AWAITING_UPLOADS") != 0) {
        status = 400;
        code = "JOB_NOT_AWAITING_UPLOADS";
    } else if (f->faults.fail_429 > 0) {
        f->faults.fail_429--;
        status = 429;
        code = "TOO_MANY_REQUESTS";
        retry_after = f->faults.retry_after_s;
    } else if (f->faults.fail_500 > 0) {
        f->faults.fail_500--;
        status = 500;
        code = "INTERNAL_SERVER_ERROR";
    } else if (f->faults.fail_413 > 0 || (f->faults.max_body_bytes && len > f->faults.max_body_bytes)) {
        if (f->faults.fail_413 > 0)
            f->faults.fail_413--;
        status = 413;
        code = "RequestEntityTooLargeException";
    }
    if (status) {
        f->counts.faults_answered++;
        pthread_mutex_unlock(&f->mu);
        char b[256];
        snprintf(b, sizeof b, "{\"error\":{\"code\":\"%s\",\"message\":\"injected\"}}", code);
        return send_json(conn, status, b, retry_after);
    }
    pthread_mutex_unlock(&f->mu);

    const char *member = kind == FAKE_J1_ENTITY ? "entities" : "relationships";
    doc = cJSON_ParseWithLength(body, len);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, member);
    bool ok = cJSON_IsObject(doc) && cJSON_IsArray(arr) && cJSON_GetArraySize(doc) == 1;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        if (!cJSON_IsObject(o) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "_key")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "_type")))
            ok = false;
    }
    if (!ok) {
        cJSON_Delete(doc);
        return send_error(f, conn, 400, kind == FAKE_J1_ENTITY ? "ENTITY_IS_NOT_ARRAY" : "RELATIONSHIP_IS_NOT_ARRAY",
                          "body must be {\\\"entities\\\"|\\\"relationships\\\": [objects with _key and _type]}");
    }
    pthread_mutex_lock(&f->mu);
    cJSON_ArrayForEach(o, arr) record(f, kind, o);
    f->counts.uploads_accepted++;
    pthread_mutex_unlock(&f->mu);
    cJSON_Delete(doc);
    res = send_json(conn, 200, "{}", 0);
    return res;
}

static bool all_strings(const cJSON *arr)
{
    if (!cJSON_IsArray(arr))
        return false;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (!cJSON_IsString(e)) return false;
    return true;
}

static enum MHD_Result answer(fake_j1 *f, struct MHD_Connection *conn, const char *method,
                              const char *url, const char *body, size_t len)
{
    static const char base[] = "/persister/synchronization/jobs";
    bool post = strcmp(method, "POST") == 0;
    if (strncmp(url, base, sizeof base - 1) != 0)
        return send_error(f, conn, 404, "NOT_FOUND", "unknown path");
    if (!headers_ok(f, conn, post))
        return send_error(f, conn, 401, "UNAUTHORIZED", "missing or wrong credentials or headers");
    const char *rest = url + sizeof base - 1;
    if (*rest == '\0' || strcmp(rest, "/") == 0) {  /* start */
        if (!post)
            return send_error(f, conn, 405, "METHOD_NOT_ALLOWED", "use POST");
        cJSON *d = cJSON_ParseWithLength(body, len);
        const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "source"));
        const cJSON *inst = cJSON_GetObjectItemCaseSensitive(d, "integrationInstanceId");
        const cJSON *ij = cJSON_GetObjectItemCaseSensitive(d, "integrationJobId");
        bool ok = src && strcmp(src, "integration-managed") == 0 && cJSON_IsString(inst) &&
                  inst->valuestring[0] && (!ij || cJSON_IsString(ij));
        char idbuf[40] = "";
        if (ok && ij)
            snprintf(idbuf, sizeof idbuf, "%s", ij->valuestring);
        cJSON_Delete(d);
        if (!ok)
            return send_error(f, conn, 400, "BAD_REQUEST", "start needs source and integrationInstanceId");
        pthread_mutex_lock(&f->mu);
        if (f->njobs == f->capjobs) {
            size_t cap = f->capjobs ? f->capjobs * 2 : 8;
            job *p = realloc(f->jobs, cap * sizeof *p);
            if (!p) {
                pthread_mutex_unlock(&f->mu);
                return MHD_NO;
            }
            f->jobs = p;
            f->capjobs = cap;
        }
        job *j = &f->jobs[f->njobs++];
        memset(j, 0, sizeof *j);
        if (idbuf[0])
            snprintf(j->id, sizeof j->id, "%s", idbuf);
        else
            snprintf(j->id, sizeof j->id, "sync-job-%zu", f->njobs);
        snprintf(j->status, sizeof j->status, "AWAITING_UPLOADS");
        f->counts.jobs_started++;
        char *t = job_json(j);
        pthread_mutex_unlock(&f->mu);
        enum MHD_Result r = t ? send_json(conn, 200, t, 0) : MHD_NO;
        free(t);
        return r;
    }
    if (*rest != '/')
        return send_error(f, conn, 404, "NOT_FOUND", "unknown path");
    const char *id = rest + 1;
    const char *slash = strchr(id, '/');
    size_t id_len = slash ? (size_t)(slash - id) : strlen(id);
    const char *action = slash ? slash + 1 : "";
    if (!post) {
        if (*action || strcmp(method, "GET") != 0)
            return send_error(f, conn, 405, "METHOD_NOT_ALLOWED", "unsupported method");
        pthread_mutex_lock(&f->mu);
        job *j = find_job(f, id, id_len);
        char *t = j ? job_json(j) : NULL;
        f->counts.status_calls++;
        pthread_mutex_unlock(&f->mu);
        if (!j)
            return send_error(f, conn, 404, "JOB_NOT_FOUND", "no such synchronization job");
        enum MHD_Result r = t ? send_json(conn, 200, t, 0) : MHD_NO;
        free(t);
        return r;
    }
    if (strcmp(action, "entities") == 0)
        return handle_upload(f, conn, NULL, id, id_len, FAKE_J1_ENTITY, body, len);
    if (strcmp(action, "relationships") == 0)
        return handle_upload(f, conn, NULL, id, id_len, FAKE_J1_RELATIONSHIP, body, len);

    cJSON *d = cJSON_ParseWithLength(body, len);
    enum MHD_Result r;
    pthread_mutex_lock(&f->mu);
    job *j = find_job(f, id, id_len);
    if (!j) {
        pthread_mutex_unlock(&f->mu);
        cJSON_Delete(d);
        return send_error(f, conn, 404, "JOB_NOT_FOUND", "no such synchronization job");
    }
    if (strcmp(action, "finalize") == 0) {
        const cJSON *types = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(d, "partialDatasets"), "types");
        if (!all_strings(types)) {
            pthread_mutex_unlock(&f->mu);
            cJSON_Delete(d);
            return send_error(f, conn, 400, "BAD_REQUEST", "partialDatasets.types must be an array of strings");
        }
        if (strcmp(j->status, "AWAITING_UPLOADS") != 0) {
            pthread_mutex_unlock(&f->mu);
            cJSON_Delete(d);
            return send_error(f, conn, 400, "JOB_NOT_AWAITING_UPLOADS", "job has already ended");
        }
        free(j->partial_json);
        j->partial_json = cJSON_PrintUnformatted(types);
        snprintf(j->status, sizeof j->status, "FINALIZE_PENDING");
        f->counts.finalizes++;
    } else if (strcmp(action, "abort") == 0) {
        const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "reason"));
        if (!reason) {
            pthread_mutex_unlock(&f->mu);
            cJSON_Delete(d);
            return send_error(f, conn, 400, "BAD_REQUEST", "abort needs a reason");
        }
        free(j->abort_reason);
        j->abort_reason = strdup(reason);
        snprintf(j->status, sizeof j->status, "ABORTED");
        f->counts.aborts++;
    } else if (strcmp(action, "events") == 0) {
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(d, "events");
        if (!cJSON_IsArray(ev)) {
            pthread_mutex_unlock(&f->mu);
            cJSON_Delete(d);
            return send_error(f, conn, 400, "BAD_REQUEST", "events must be an array");
        }
        f->counts.events += (size_t)cJSON_GetArraySize(ev);
        pthread_mutex_unlock(&f->mu);
        cJSON_Delete(d);
        return send_json(conn, 200, "{}", 0);
    } else {
        pthread_mutex_unlock(&f->mu);
        cJSON_Delete(d);
        return send_error(f, conn, 404, "NOT_FOUND", "unknown job action");
    }
    char *t = job_json(j);
    pthread_mutex_unlock(&f->mu);
    cJSON_Delete(d);
    r = t ? send_json(conn, 200, t, 0) : MHD_NO;
    free(t);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    fake_j1 *f = cls;
    conn_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        sbuf_init(&st->body);
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_size) {
        sbuf_append(&st->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return answer(f, conn, method, url, st->body.data ? st->body.data : "", st->body.len);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
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

fake_j1 *fake_j1_start(const fake_j1_options *opts)
{
    fake_j1_options o = opts ? *opts : (fake_j1_options){0};
    fake_j1 *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->mu, NULL);
    f->api_key = o.api_key ? strdup(o.api_key) : NULL;
    f->account_id = o.account_id ? strdup(o.account_id) : NULL;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(o.port);
    f->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG | MHD_USE_POLL,
        o.port, NULL, NULL, on_request, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, f, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(1024 * 1024), MHD_OPTION_END);
    if (!f->daemon) {
        fprintf(stderr, "fake_j1: cannot listen on 127.0.0.1:%u\n", (unsigned)o.port);
        fake_j1_stop(f);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", info ? info->port : 0);
    return f;
}

void fake_j1_stop(fake_j1 *f)
{
    if (!f)
        return;
    if (f->daemon)
        MHD_stop_daemon(f->daemon);
    for (size_t i = 0; i < f->nrecs; i++) {
        free(f->recs[i].key);
        free(f->recs[i].type);
    }
    free(f->recs);
    free(f->slots);
    for (size_t i = 0; i < f->njobs; i++) {
        free(f->jobs[i].partial_json);
        free(f->jobs[i].abort_reason);
    }
    free(f->jobs);
    free(f->api_key);
    free(f->account_id);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

const char *fake_j1_url(const fake_j1 *f) { return f->url; }

void fake_j1_set_faults(fake_j1 *f, const fake_j1_faults *faults)
{
    pthread_mutex_lock(&f->mu);
    f->faults = faults ? *faults : (fake_j1_faults){0};
    pthread_mutex_unlock(&f->mu);
}

void fake_j1_counts_get(fake_j1 *f, fake_j1_counts *out)
{
    pthread_mutex_lock(&f->mu);
    *out = f->counts;
    pthread_mutex_unlock(&f->mu);
}

size_t fake_j1_object_count(fake_j1 *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->nrecs;
    pthread_mutex_unlock(&f->mu);
    return n;
}

bool fake_j1_object(fake_j1 *f, size_t i, fake_j1_kind *kind, char *key, size_t key_size,
                    char *type, size_t type_size)
{
    pthread_mutex_lock(&f->mu);
    bool ok = i < f->nrecs;
    if (ok) {
        *kind = (fake_j1_kind)f->recs[i].kind;
        snprintf(key, key_size, "%s", f->recs[i].key);
        snprintf(type, type_size, "%s", f->recs[i].type);
    }
    pthread_mutex_unlock(&f->mu);
    return ok;
}

size_t fake_j1_object_seen(fake_j1 *f, fake_j1_kind kind, const char *key)
{
    pthread_mutex_lock(&f->mu);
    size_t n = 0;
    if (f->nslots) {
        size_t s = *slot_for(f, kind, key);
        n = s ? f->recs[s - 1].seen : 0;
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

bool fake_j1_object_raw(fake_j1 *f, fake_j1_kind kind, const char *key, bool *has_raw_data,
                        bool *truncated)
{
    pthread_mutex_lock(&f->mu);
    bool found = false;
    if (f->nslots) {
        size_t s = *slot_for(f, kind, key);
        if (s) {
            found = true;
            *has_raw_data = f->recs[s - 1].has_raw;
            *truncated = f->recs[s - 1].truncated;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return found;
}

bool fake_j1_last_job(fake_j1 *f, char *status, size_t status_size, char *partial_json,
                      size_t partial_size, char *abort_reason, size_t reason_size)
{
    pthread_mutex_lock(&f->mu);
    bool ok = f->njobs > 0;
    if (ok) {
        job *j = &f->jobs[f->njobs - 1];
        if (status)
            snprintf(status, status_size, "%s", j->status);
        if (partial_json)
            snprintf(partial_json, partial_size, "%s", j->partial_json ? j->partial_json : "");
        if (abort_reason)
            snprintf(abort_reason, reason_size, "%s", j->abort_reason ? j->abort_reason : "");
    }
    pthread_mutex_unlock(&f->mu);
    return ok;
}

void fake_j1_end_last_job(fake_j1 *f)
{
    pthread_mutex_lock(&f->mu);
    if (f->njobs)
        snprintf(f->jobs[f->njobs - 1].status, sizeof f->jobs[0].status, "ABORTED");
    pthread_mutex_unlock(&f->mu);
}

char *fake_j1_summary_json(fake_j1 *f)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *types = cJSON_CreateObject();
    cJSON *jobs = cJSON_CreateArray();
    pthread_mutex_lock(&f->mu);
    fake_j1_counts c = f->counts;
    for (size_t i = 0; i < f->nrecs; i++) {
        cJSON *n = cJSON_GetObjectItemCaseSensitive(types, f->recs[i].type);
        if (n)
            cJSON_SetNumberValue(n, n->valuedouble + 1);
        else
            cJSON_AddNumberToObject(types, f->recs[i].type, 1);
    }
    for (size_t i = 0; i < f->njobs; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", f->jobs[i].id);
        cJSON_AddStringToObject(j, "status", f->jobs[i].status);
        cJSON *p = f->jobs[i].partial_json ? cJSON_Parse(f->jobs[i].partial_json) : NULL;
        cJSON_AddItemToObject(j, "partialDatasets", p ? p : cJSON_CreateNull());
        if (f->jobs[i].abort_reason)
            cJSON_AddStringToObject(j, "abortReason", f->jobs[i].abort_reason);
        cJSON_AddItemToArray(jobs, j);
    }
    pthread_mutex_unlock(&f->mu);
    cJSON_AddNumberToObject(root, "jobsStarted", (double)c.jobs_started);
    cJSON_AddNumberToObject(root, "uploadRequests", (double)c.upload_requests);
    cJSON_AddNumberToObject(root, "uploadsAccepted", (double)c.uploads_accepted);
    cJSON_AddNumberToObject(root, "entities", (double)c.entities);
    cJSON_AddNumberToObject(root, "relationships", (double)c.relationships);
    cJSON_AddNumberToObject(root, "duplicates", (double)c.duplicates);
    cJSON_AddNumberToObject(root, "finalizes", (double)c.finalizes);
    cJSON_AddNumberToObject(root, "aborts", (double)c.aborts);
    cJSON_AddNumberToObject(root, "badRequests", (double)c.bad_requests);
    cJSON_AddNumberToObject(root, "maxConcurrentUploads", (double)c.max_concurrent_uploads);
    cJSON_AddItemToObject(root, "types", types);
    cJSON_AddItemToObject(root, "jobs", jobs);
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

/*
 * j1_uploader: see j1_uploader.h.
 *
 * Design: the store's thread appends objects to one open batch per kind
 * (entities, relationships), closing a batch when the next object would
 * reach the byte limit (SDK batchGraphObjectsBySizeInBytes).  Closed batches
 * go into a bounded FIFO (J1_QUEUED_BATCHES) consumed by `concurrency`
 * upload threads; a full FIFO blocks write_chunk, so at most
 * (queue + in flight + 2 open) batches exist at once: 10 x 5 MB per job.
 * The FIFO only has to cover the gap between an upload ending and the next
 * batch being closed; a longer one just holds more of a tenant in memory
 * when collection outruns the uploads (two top-size jobs at once went from
 * 231 to 343 MB peak RSS with 2 x concurrency once Graph lists were
 * batched).  A batch keeps its
 * objects separately (not one body) so a 413 can split it in halves without
 * re-parsing; the request body is built just before sending.  The first
 * fatal error is kept under the lock; afterwards workers drop work,
 * write_chunk fails, and finish() aborts the sync job instead of finalizing
 * (so JupiterOne deletes nothing).
 */
#include "j1/j1_uploader.h"

#include "common/log.h"
#include "common/metrics.h"
#include "common/random.h"
#include "common/sbuf.h"
#include "j1/j1_sync_client.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define J1_DEFAULT_LIMIT 5000000u
#define J1_MAX_CONCURRENCY 6
#define J1_QUEUED_BATCHES 2

typedef struct obj {
    char *json;
    size_t len;
} obj;

typedef struct batch {
    graph_kind kind;
    obj *objs;
    size_t count, cap;
    size_t bytes;
    struct batch *next;
} batch;

struct j1_uploader {
    j1_sync_client *client;
    j1_uploader_settings cfg;        /* strings below are owned copies */
    char *instance_id, *integration_job_id;
    char job_id[128];
    j1_retry_policy policy;
    size_t limit;
    int concurrency;

    pthread_mutex_t mu;
    pthread_cond_t cv;               /* queue changed / worker finished */
    batch *head, *tail;
    size_t queued, max_queued;
    int in_flight;
    bool stopping;
    bool ended;                      /* finish or abort done */
    bool has_fatal;
    err_info fatal;
    char status[48];
    j1_upload_stats stats;
    atomic_bool cancel;
    char **skipped_types;            /* types with an object too large to upload */
    size_t nskipped;

    batch *open[2];                  /* store thread only */
    pthread_t threads[J1_MAX_CONCURRENCY];
    int nthreads;
};

static const char *kind_name(graph_kind k) { return k == GRAPH_ENTITIES ? "entities" : "relationships"; }

static void declare_metrics(void)
{
    metrics_declare("j1_upload_batches_total", METRIC_COUNTER,
                    "Batches uploaded to JupiterOne by kind and outcome", NULL, 0);
    metrics_declare("j1_upload_bytes_total", METRIC_COUNTER,
                    "Bytes of graph objects uploaded to JupiterOne", NULL, 0);
    metrics_declare("j1_upload_retries_total", METRIC_COUNTER,
                    "JupiterOne upload retries (5xx, 429, connection errors, 413 splits)", NULL, 0);
}

static void count_batch(graph_kind kind, const char *status)
{
    char labels[80];
    snprintf(labels, sizeof labels, "kind=\"%s\",status=\"%s\"", kind_name(kind), status);
    metrics_counter_add("j1_upload_batches_total", labels, 1);
}

/* ---- batches ---------------------------------------------------------- */

static batch *batch_new(graph_kind kind)
{
    batch *b = calloc(1, sizeof *b);
    if (b)
        b->kind = kind;
    return b;
}

static void batch_free(batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->count; i++)
        free(b->objs[i].json);
    free(b->objs);
    free(b);
}

/* Takes ownership of json. */
static int batch_push(batch *b, char *json, size_t len)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        obj *p = realloc(b->objs, cap * sizeof *p);
        if (!p)
            return -1;
        b->objs = p;
        b->cap = cap;
    }
    b->objs[b->count++] = (obj){json, len};
    b->bytes += len;
    return 0;
}

/* ---- state ------------------------------------------------------------ */

static void set_status(j1_uploader *u, const char *status)
{
    pthread_mutex_lock(&u->mu);
    snprintf(u->status, sizeof u->status, "%s", status);
    pthread_mutex_unlock(&u->mu);
    if (u->cfg.on_state)
        u->cfg.on_state(u->cfg.on_state_arg, u->job_id[0] ? u->job_id : NULL, status);
}

/* Records the first fatal error and wakes everyone. Caller holds no lock. */
static void set_fatal(j1_uploader *u, const err_info *e)
{
    pthread_mutex_lock(&u->mu);
    if (!u->has_fatal) {
        u->has_fatal = true;
        u->fatal = *e;
        atomic_store(&u->cancel, true);
    }
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
}

static void job_status_from(const j1_response *r, char *buf, size_t size)
{
    buf[0] = '\0';
    cJSON *j = r->body.data ? cJSON_ParseWithLength(r->body.data, r->body.len) : NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "job"), "status");
    if (cJSON_IsString(st))
        snprintf(buf, size, "%s", st->valuestring);
    cJSON_Delete(j);
}

/* ---- _rawData handling ------------------------------------------------ */

/* Object without its _rawData, as compact JSON; NULL if it has none or on error. */
static char *drop_raw_data(const char *json, size_t len, size_t *out_len)
{
    cJSON *j = cJSON_ParseWithLength(json, len);
    char *out = NULL;
    if (j && cJSON_GetObjectItemCaseSensitive(j, "_rawData")) {
        cJSON_DeleteItemFromObjectCaseSensitive(j, "_rawData");
        out = cJSON_PrintUnformatted(j);
        if (out)
            *out_len = strlen(out);
    }
    cJSON_Delete(j);
    return out;
}

static size_t json_size(const cJSON *v)
{
    char *t = cJSON_PrintUnformatted(v);
    size_t n = t ? strlen(t) : 0;
    free(t);
    return n;
}

/* SDK shrinkBatchRawData for one object: replace the largest top-level value
 * of the largest rawData entry with "TRUNCATED" until the object's JSON is at
 * most `target` bytes.  Returns a new text, or NULL when it cannot shrink. */
static char *shrink_raw_data(const char *json, size_t len, size_t target, size_t *out_len)
{
    cJSON *j = cJSON_ParseWithLength(json, len);
    char *out = NULL;
    cJSON *raw = cJSON_GetObjectItemCaseSensitive(j, "_rawData");
    if (!cJSON_IsArray(raw) || cJSON_GetArraySize(raw) == 0)
        goto done;
    size_t size = len;
    while (size > target) {
        cJSON *best_entry = NULL, *e;
        size_t best = 0;
        cJSON_ArrayForEach(e, raw) {
            size_t n = json_size(e);
            if (n > best) {
                best = n;
                best_entry = e;
            }
        }
        cJSON *rd = cJSON_GetObjectItemCaseSensitive(best_entry, "rawData");
        cJSON *best_prop = NULL, *p;
        size_t pbest = 0;
        cJSON_ArrayForEach(p, rd) {
            size_t n = json_size(p);
            if (n > pbest) {
                pbest = n;
                best_prop = p;
            }
        }
        if (!best_prop || pbest <= 11)
            goto done;  /* nothing left to truncate */
        cJSON *t = cJSON_CreateString("TRUNCATED");
        if (!t || !cJSON_ReplaceItemViaPointer(rd, best_prop, t)) {
            cJSON_Delete(t);
            goto done;
        }
        size -= pbest - 11;
    }
    out = cJSON_PrintUnformatted(j);
    if (out)
        *out_len = strlen(out);
done:
    cJSON_Delete(j);
    return out;
}

/* ---- uploading (worker threads) --------------------------------------- */

static int upload_range(j1_uploader *u, graph_kind kind, obj *objs, size_t count, err_info *err);

/* The body {"<kind>":[object,object,...]} read straight from the batch's
 * objects as curl sends it: no 5 MB copy per batch (whose fresh pages were
 * faulted in and zeroed one by one) and no such buffer per upload in
 * flight.  Segment 0 is the head; object i is segments 2i+1 (its leading
 * comma, empty for the first) and 2i+2; the last segment is the tail. */
typedef struct body_reader {
    char head[32];
    size_t head_len;
    const obj *objs;
    size_t count;
    size_t seg, off; /* position: segment, bytes of it already read */
} body_reader;

static void segment_at(const body_reader *r, size_t seg, const char **p, size_t *len)
{
    if (seg == 0) {
        *p = r->head;
        *len = r->head_len;
    } else if (seg == 2 * r->count + 1) {
        *p = "]}";
        *len = 2;
    } else if (seg % 2 == 1) {
        *p = ",";
        *len = seg == 1 ? 0 : 1;
    } else {
        *p = r->objs[seg / 2 - 1].json;
        *len = r->objs[seg / 2 - 1].len;
    }
}

static void body_rewind(void *ctx)
{
    body_reader *r = ctx;
    r->seg = 0;
    r->off = 0;
}

static size_t body_read(void *ctx, char *buf, size_t size)
{
    body_reader *r = ctx;
    size_t n = 0;
    while (n < size && r->seg <= 2 * r->count + 1) {
        const char *p;
        size_t len;
        segment_at(r, r->seg, &p, &len);
        size_t take = len - r->off < size - n ? len - r->off : size - n;
        memcpy(buf + n, p + r->off, take);
        n += take;
        r->off += take;
        if (r->off == len) {
            r->seg++;
            r->off = 0;
        }
    }
    return n;
}

/* Returns the body's length. */
static size_t body_reader_init(body_reader *r, graph_kind kind, const obj *objs, size_t count)
{
    memset(r, 0, sizeof *r);
    r->head_len = (size_t)snprintf(r->head, sizeof r->head, "{\"%s\":[", kind_name(kind));
    r->objs = objs;
    r->count = count;
    size_t total = r->head_len + 2 + (count ? count - 1 : 0);
    for (size_t i = 0; i < count; i++)
        total += objs[i].len;
    return total;
}

static int upload_range(j1_uploader *u, graph_kind kind, obj *objs, size_t count, err_info *err)
{
    if (count == 0)
        return 0;
    if (atomic_load(&u->cancel))
        return err_set(err, ERR_CANCELLED, "upload stopped after an earlier fatal error");
    char corr[37], path[512];
    random_uuid(corr);
    snprintf(path, sizeof path, "/persister/synchronization/jobs/%s/%s", u->job_id, kind_name(kind));
    for (int shrink_round = 0;; shrink_round++) {
        body_reader reader;
        size_t body_len = body_reader_init(&reader, kind, objs, count);
        j1_body_source source = {
            .length = body_len, .ctx = &reader, .rewind = body_rewind, .read = body_read};
        j1_response r;
        int rc = j1_sync_call_source(u->client, path, &source, corr, &u->policy, &u->cancel, &r,
                                     err);
        pthread_mutex_lock(&u->mu);
        u->stats.retries += (size_t)r.retries;
        pthread_mutex_unlock(&u->mu);
        if (r.retries)
            metrics_counter_add("j1_upload_retries_total", NULL, r.retries);
        if (rc < 0) {
            j1_response_free(&r);
            count_batch(kind, "error");
            return err_prefix(err, "uploading %s", kind_name(kind));
        }
        if (r.status >= 200 && r.status < 300) {
            j1_response_free(&r);
            size_t bytes = 0;
            for (size_t i = 0; i < count; i++)
                bytes += objs[i].len;
            pthread_mutex_lock(&u->mu);
            if (kind == GRAPH_ENTITIES)
                u->stats.entities_uploaded += count;
            else
                u->stats.relationships_uploaded += count;
            u->stats.batches_uploaded++;
            u->stats.bytes_uploaded += bytes;
            pthread_mutex_unlock(&u->mu);
            count_batch(kind, "ok");
            metrics_counter_add("j1_upload_bytes_total", NULL, (double)bytes);
            return 0;
        }
        char code[96];
        j1_response_error_code(&r, code, sizeof code);
        if (strcmp(code, "JOB_NOT_AWAITING_UPLOADS") == 0) {
            j1_response_free(&r);
            count_batch(kind, "error");
            err_set(err, ERR_CONFLICT,
                    "JupiterOne synchronization job %s has already ended; uploads are refused", u->job_id);
            return err_hint(err, "the job was finalized or aborted elsewhere; run the job again");
        }
        if (r.status == 413 || strcmp(code, "RequestEntityTooLargeException") == 0) {
            j1_response_free(&r);
            pthread_mutex_lock(&u->mu);
            u->stats.splits++;
            pthread_mutex_unlock(&u->mu);
            metrics_counter_add("j1_upload_retries_total", NULL, 1);
            if (count > 1) {
                size_t half = count / 2;
                log_kv(LOG_INFO, "JupiterOne refused a batch as too large; splitting it", "kind",
                       kind_name(kind), NULL);
                if (upload_range(u, kind, objs, half, err) < 0)
                    return -1;
                return upload_range(u, kind, objs + half, count - half, err);
            }
            size_t nl = 0;
            char *shrunk = shrink_raw_data(objs[0].json, objs[0].len, body_len / 2, &nl);
            if (!shrunk || shrink_round >= 16) {
                free(shrunk);
                count_batch(kind, "error");
                err_set(err, ERR_UPSTREAM,
                        "JupiterOne refused one %s object as too large (%zu bytes) and its _rawData "
                        "cannot shrink further", kind == GRAPH_ENTITIES ? "entity" : "relationship",
                        objs[0].len);
                return err_hint(err, "the object's properties exceed JupiterOne's request size limit");
            }
            log_kv(LOG_WARN, "JupiterOne refused one object as too large; truncating its _rawData",
                   "kind", kind_name(kind), NULL);
            free(objs[0].json);
            objs[0].json = shrunk;
            objs[0].len = nl;
            random_uuid(corr);
            continue;
        }
        count_batch(kind, "error");
        char ctx[96];
        snprintf(ctx, sizeof ctx, "uploading %s to JupiterOne", kind_name(kind));
        j1_response_to_err(&r, ctx, err);
        j1_response_free(&r);
        return -1;
    }
}

static void *worker_main(void *arg)
{
    j1_uploader *u = arg;
    pthread_mutex_lock(&u->mu);
    for (;;) {
        while (!u->head && !u->stopping)
            pthread_cond_wait(&u->cv, &u->mu);
        if (!u->head)
            break;
        batch *b = u->head;
        u->head = b->next;
        if (!u->head)
            u->tail = NULL;
        u->queued--;
        u->in_flight++;
        bool skip = u->has_fatal;
        pthread_cond_broadcast(&u->cv);
        pthread_mutex_unlock(&u->mu);
        if (!skip) {
            err_info e = {0};
            if (upload_range(u, b->kind, b->objs, b->count, &e) < 0 && e.kind != ERR_CANCELLED) {
                char d[800];
                log_kv(LOG_ERROR, "JupiterOne upload failed", "error", err_describe(&e, d, sizeof d), NULL);
                set_fatal(u, &e);
            }
        }
        batch_free(b);
        pthread_mutex_lock(&u->mu);
        u->in_flight--;
        pthread_cond_broadcast(&u->cv);
    }
    pthread_mutex_unlock(&u->mu);
    return NULL;
}

/* ---- sink ------------------------------------------------------------- */

static int fatal_copy(j1_uploader *u, err_info *err)
{
    if (err)
        *err = u->fatal;
    return -1;
}

/* Hands the open batch of `kind` to the workers; blocks while the queue is full. */
static int close_batch(j1_uploader *u, graph_kind kind, err_info *err)
{
    batch *b = u->open[kind];
    if (!b || b->count == 0)
        return 0;
    u->open[kind] = NULL;
    pthread_mutex_lock(&u->mu);
    while (u->queued >= u->max_queued && !u->has_fatal)
        pthread_cond_wait(&u->cv, &u->mu);
    if (u->has_fatal) {
        int rc = fatal_copy(u, err);
        pthread_mutex_unlock(&u->mu);
        batch_free(b);
        return rc;
    }
    if (u->tail)
        u->tail->next = b;
    else
        u->head = b;
    u->tail = b;
    u->queued++;
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
    return 0;
}

/* Under mu: remembers the type of an object skipped as too large, so that
 * finalize sends it as a partial dataset (JupiterOne would otherwise delete
 * the copy it holds).  Out of memory: the type is not remembered, and the
 * skip's warning still names it. */
static void note_skipped_type(j1_uploader *u, const char *type)
{
    if (!type || !*type)
        return;
    for (size_t i = 0; i < u->nskipped; i++)
        if (strcmp(u->skipped_types[i], type) == 0)
            return;
    char **grown = realloc(u->skipped_types, (u->nskipped + 1) * sizeof *grown);
    if (!grown)
        return;
    u->skipped_types = grown;
    if ((grown[u->nskipped] = strdup(type)))
        u->nskipped++;
}

static int sink_write(void *ctx, const graph_chunk *chunk, err_info *err)
{
    j1_uploader *u = ctx;
    graph_kind kind = chunk->kind == GRAPH_RELATIONSHIPS ? GRAPH_RELATIONSHIPS : GRAPH_ENTITIES;
    pthread_mutex_lock(&u->mu);
    bool fatal = u->has_fatal, ended = u->ended;
    if (fatal)
        fatal_copy(u, err);
    pthread_mutex_unlock(&u->mu);
    if (fatal)
        return -1;
    if (ended)
        return err_set(err, ERR_INTERNAL, "graph chunk written after the upload ended");
    for (size_t i = 0; i < chunk->count; i++) {
        size_t len = chunk->lengths[i];
        char *copy = NULL;
        if (len > u->limit) {
            size_t nl = 0;
            copy = drop_raw_data(chunk->objects[i], len, &nl);
            if (!copy || nl > u->limit) {
                free(copy);
                pthread_mutex_lock(&u->mu);
                u->stats.objects_skipped_oversize++;
                note_skipped_type(u, chunk->type);
                pthread_mutex_unlock(&u->mu);
                char sz[32];
                snprintf(sz, sizeof sz, "%zu", len);
                log_kv(LOG_WARN, "graph object exceeds JupiterOne's upload size limit; skipped",
                       "type", chunk->type ? chunk->type : "", "step", chunk->step_id ? chunk->step_id : "",
                       "bytes", sz, NULL);
                continue;
            }
            pthread_mutex_lock(&u->mu);
            u->stats.raw_data_dropped++;
            pthread_mutex_unlock(&u->mu);
            len = nl;
        } else if (chunk->take && chunk->take[i]) {
            copy = chunk->take[i]; /* the store's buffer: no copy */
            chunk->take[i] = NULL;
        } else {
            copy = malloc(len + 1);
            if (copy) {
                memcpy(copy, chunk->objects[i], len);
                copy[len] = '\0';
            }
        }
        if (!copy)
            return err_set(err, ERR_NOMEM, "out of memory queueing a JupiterOne upload");
        if (u->open[kind] && u->open[kind]->bytes + len >= u->limit && close_batch(u, kind, err) < 0) {
            free(copy);
            return -1;
        }
        if (!u->open[kind] && !(u->open[kind] = batch_new(kind))) {
            free(copy);
            return err_set(err, ERR_NOMEM, "out of memory queueing a JupiterOne upload");
        }
        if (batch_push(u->open[kind], copy, len) < 0) {
            free(copy);
            return err_set(err, ERR_NOMEM, "out of memory queueing a JupiterOne upload");
        }
    }
    return 0;
}

/* Waits until every queued and in-flight batch is done. */
static void drain(j1_uploader *u)
{
    pthread_mutex_lock(&u->mu);
    while (u->queued > 0 || u->in_flight > 0)
        pthread_cond_wait(&u->cv, &u->mu);
    pthread_mutex_unlock(&u->mu);
}

static void stop_workers(j1_uploader *u)
{
    pthread_mutex_lock(&u->mu);
    u->stopping = true;
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
    for (int i = 0; i < u->nthreads; i++)
        pthread_join(u->threads[i], NULL);
    u->nthreads = 0;
    while (u->head) {
        batch *b = u->head;
        u->head = b->next;
        batch_free(b);
    }
    u->tail = NULL;
    u->queued = 0;
}

/* Marks the upload ended; returns whether it already was. */
static bool mark_ended(j1_uploader *u)
{
    pthread_mutex_lock(&u->mu);
    bool was = u->ended;
    u->ended = true;
    pthread_mutex_unlock(&u->mu);
    return was;
}

/* Whether a job in `status` shows that `action` (finalize or abort) took
 * effect. */
static bool action_applied(const char *action, const char *status)
{
    if (strcmp(action, "finalize") == 0)
        return strcmp(status, "FINALIZE_PENDING") == 0 || strncmp(status, "FINALIZING_", 11) == 0 ||
               strcmp(status, "FINISHED") == 0;
    return strncmp(status, "ABORTED", 7) == 0;
}

/* The job's status as JupiterOne reports it now (Status, 1.2 #6), into buf
 * ("" when it cannot be read). */
static void job_status_now(j1_uploader *u, char *buf, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "/persister/synchronization/jobs/%s", u->job_id);
    j1_response r;
    err_info e = {0};
    buf[0] = '\0';
    if (j1_sync_call(u->client, "GET", path, NULL, 0, NULL, &u->policy, NULL, &r, &e) == 0 &&
        r.status >= 200 && r.status < 300)
        job_status_from(&r, buf, size);
    j1_response_free(&r);
}

/* Finalize or abort.  Both are retried (5xx, 429, no answer): finalize with
 * the upload policy (the SDK's 5 attempts), abort with 3 attempts (the
 * SDK's HTTP layer).  A retry may follow an attempt that JupiterOne applied
 * but whose answer was lost (a gateway's 502, a timeout): the retry is then
 * refused because the job has ended, so an error answer after a retry is
 * checked against the job's status, and counts as done when the status
 * shows the action took effect (aborting a job whose finalize went through
 * would throw its upload away). */
static int post_job_action(j1_uploader *u, const char *action, const char *body,
                           const char *new_status, err_info *err)
{
    char path[512], ctx[256];
    snprintf(path, sizeof path, "/persister/synchronization/jobs/%s/%s", u->job_id, action);
    j1_retry_policy policy = u->policy;
    if (strcmp(action, "abort") == 0 && policy.max_attempts > 3)
        policy.max_attempts = 3;
    j1_response r;
    if (j1_sync_call(u->client, "POST", path, body, strlen(body), NULL, &policy, NULL, &r,
                     err) < 0) {
        j1_response_free(&r);
        return err_prefix(err, "%s of JupiterOne synchronization job %s", action, u->job_id);
    }
    if (r.status < 200 || r.status >= 300) {
        char now[48] = "";
        if (r.retries > 0)
            job_status_now(u, now, sizeof now);
        if (now[0] && action_applied(action, now)) {
            log_kv(LOG_INFO, "an earlier attempt of the request took effect (its answer was lost)",
                   "action", action, "syncJobId", u->job_id, "status", now, NULL);
            j1_response_free(&r);
            set_status(u, now);
            return 0;
        }
        snprintf(ctx, sizeof ctx, "%s of JupiterOne synchronization job %s", action, u->job_id);
        j1_response_to_err(&r, ctx, err);
        j1_response_free(&r);
        return -1;
    }
    char st[48];
    job_status_from(&r, st, sizeof st);
    j1_response_free(&r);
    set_status(u, st[0] ? st : new_status);
    return 0;
}

static int do_abort(j1_uploader *u, const char *reason, err_info *err)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"reason\":");
    sbuf_json_string(&b, reason ? reason : "aborted");
    sbuf_putc(&b, '}');
    if (sbuf_failed(&b)) {
        sbuf_free(&b);
        return err_set(err, ERR_NOMEM, "out of memory aborting the JupiterOne job");
    }
    int rc = post_job_action(u, "abort", sbuf_str(&b), "ABORTED", err);
    sbuf_free(&b);
    if (rc == 0)
        log_kv(LOG_WARN, "JupiterOne synchronization job aborted", "syncJobId", u->job_id, NULL);
    return rc;
}

int j1_abort_sync_job(const j1_uploader_settings *settings, const char *sync_job_id,
                      const char *reason, err_info *err)
{
    if (!sync_job_id || !*sync_job_id || strlen(sync_job_id) > 128 ||
        strspn(sync_job_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
            strlen(sync_job_id))
        return err_set(err, ERR_INVALID, "invalid JupiterOne synchronization job id");
    j1_sync_client *c = NULL;
    if (j1_sync_client_new(settings->base_url, settings->api_key, settings->account_id, &c, err) !=
        0)
        return -1;
    int rc = -1;
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"reason\":");
    sbuf_json_string(&b, reason ? reason : "superseded by a new attempt");
    sbuf_putc(&b, '}');
    char path[256];
    snprintf(path, sizeof path, "/persister/synchronization/jobs/%s/abort", sync_job_id);
    j1_retry_policy policy = {3, 200, 2000};
    j1_response r = {0};
    if (sbuf_failed(&b)) {
        err_set(err, ERR_NOMEM, "out of memory aborting a JupiterOne job");
        goto done;
    }
    if (j1_sync_call(c, "POST", path, sbuf_str(&b), b.len, NULL, &policy, NULL, &r, err) <
        0) {
        err_prefix(err, "abort of the earlier JupiterOne synchronization job %s", sync_job_id);
        goto done;
    }
    if ((r.status >= 200 && r.status < 300) || r.status == 400 || r.status == 404 ||
        r.status == 409) {
        /* 4xx: the job is already finalized, aborted or gone: nothing to undo. */
        log_kv(LOG_INFO, "earlier JupiterOne synchronization job closed", "syncJobId",
               sync_job_id, NULL);
        rc = 0;
    } else {
        char ctx[256];
        snprintf(ctx, sizeof ctx, "abort of the earlier JupiterOne synchronization job %s",
                 sync_job_id);
        j1_response_to_err(&r, ctx, err);
    }
done:
    j1_response_free(&r);
    sbuf_free(&b);
    j1_sync_client_free(c);
    return rc;
}

static int sink_finish(void *ctx, const char *const *partial_types, size_t count,
                       const char *summary_json, err_info *err)
{
    (void)summary_json;
    j1_uploader *u = ctx;
    pthread_mutex_lock(&u->mu);
    bool ended = u->ended;
    pthread_mutex_unlock(&u->mu);
    if (ended)
        return err_set(err, ERR_INTERNAL, "JupiterOne upload finished twice");
    err_info local = {0};
    if (close_batch(u, GRAPH_ENTITIES, &local) == 0)
        close_batch(u, GRAPH_RELATIONSHIPS, &local);
    drain(u);
    mark_ended(u);
    pthread_mutex_lock(&u->mu);
    bool fatal = u->has_fatal;
    err_info fe = u->fatal;
    pthread_mutex_unlock(&u->mu);
    if (fatal) {
        err_info ae = {0};
        if (do_abort(u, fe.message, &ae) < 0) {
            char d[800];
            log_kv(LOG_ERROR, "aborting the JupiterOne job failed", "error", err_describe(&ae, d, sizeof d), NULL);
        }
        if (err)
            *err = fe;
        return -1;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"partialDatasets\":{\"types\":[");
    for (size_t i = 0; i < count; i++) {
        if (i)
            sbuf_putc(&b, ',');
        sbuf_json_string(&b, partial_types[i]);
    }
    /* no lock: the workers have stopped (drain) and the store thread is here */
    size_t added = 0;
    for (size_t i = 0; i < u->nskipped; i++) {
        bool listed = false;
        for (size_t k = 0; k < count && !listed; k++)
            listed = strcmp(partial_types[k], u->skipped_types[i]) == 0;
        if (listed)
            continue;
        if (count + added++)
            sbuf_putc(&b, ',');
        sbuf_json_string(&b, u->skipped_types[i]);
        log_kv(LOG_WARN, "a type with objects too large to upload is sent as a partial dataset, "
                         "so JupiterOne keeps its stored objects", "type", u->skipped_types[i],
               NULL);
    }
    sbuf_puts(&b, "]}}");
    if (sbuf_failed(&b)) {
        sbuf_free(&b);
        return err_set(err, ERR_NOMEM, "out of memory finalizing the JupiterOne job");
    }
    int rc = post_job_action(u, "finalize", sbuf_str(&b), "FINALIZE_PENDING", err);
    sbuf_free(&b);
    if (rc < 0) {
        err_info ae = {0};
        if (do_abort(u, err ? err->message : "finalize failed", &ae) < 0) {
            char d[800];
            log_kv(LOG_ERROR, "aborting the JupiterOne job failed", "error", err_describe(&ae, d, sizeof d), NULL);
        }
        return -1;
    }
    log_kv(LOG_INFO, "JupiterOne synchronization job finalized", "syncJobId", u->job_id, NULL);
    return 0;
}

static int sink_abort(void *ctx, const char *reason, err_info *err)
{
    j1_uploader *u = ctx;
    if (mark_ended(u))
        return 0;
    /* a writer blocked on a full queue (another thread) fails instead of waiting */
    err_info cancelled = {0};
    err_set(&cancelled, ERR_CANCELLED, "the JupiterOne upload was aborted: %s", reason ? reason : "");
    set_fatal(u, &cancelled);
    stop_workers(u);
    return do_abort(u, reason, err);
}

/* ---- lifecycle -------------------------------------------------------- */

graph_sink j1_uploader_sink(j1_uploader *u)
{
    return (graph_sink){u, sink_write, sink_finish, sink_abort};
}

const char *j1_uploader_job_id(const j1_uploader *u) { return u->job_id; }

void j1_uploader_status(j1_uploader *u, char *buf, size_t size)
{
    pthread_mutex_lock(&u->mu);
    snprintf(buf, size, "%s", u->status);
    pthread_mutex_unlock(&u->mu);
}

void j1_uploader_stats(j1_uploader *u, j1_upload_stats *out)
{
    pthread_mutex_lock(&u->mu);
    *out = u->stats;
    pthread_mutex_unlock(&u->mu);
}

static int start_job(j1_uploader *u, err_info *err)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"source\":\"integration-managed\",\"integrationInstanceId\":");
    sbuf_json_string(&b, u->instance_id);
    if (u->integration_job_id) {
        sbuf_puts(&b, ",\"integrationJobId\":");
        sbuf_json_string(&b, u->integration_job_id);
    }
    sbuf_putc(&b, '}');
    if (sbuf_failed(&b)) {
        sbuf_free(&b);
        return err_set(err, ERR_NOMEM, "out of memory starting the JupiterOne job");
    }
    j1_retry_policy p = u->policy;  /* the SDK does not retry start beyond the HTTP layer: 3 attempts */
    if (p.max_attempts > 3)
        p.max_attempts = 3;
    j1_response r;
    int rc = j1_sync_call(u->client, "POST", "/persister/synchronization/jobs", sbuf_str(&b), b.len,
                          NULL, &p, NULL, &r, err);
    sbuf_free(&b);
    if (rc < 0) {
        j1_response_free(&r);
        return err_prefix(err, "starting a JupiterOne synchronization job");
    }
    if (r.status < 200 || r.status >= 300) {
        j1_response_to_err(&r, "starting a JupiterOne synchronization job", err);
        j1_response_free(&r);
        return -1;
    }
    cJSON *j = cJSON_ParseWithLength(r.body.data ? r.body.data : "", r.body.len);
    const cJSON *job = cJSON_GetObjectItemCaseSensitive(j, "job");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(job, "id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(job, "status");
    rc = 0;
    if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) >= sizeof u->job_id ||
        strspn(id->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
            strlen(id->valuestring)) {
        rc = err_set(err, ERR_UPSTREAM, "JupiterOne answered the job start without a usable job id");
        err_hint(err, "check the API base URL points at JupiterOne's API");
    } else {
        snprintf(u->job_id, sizeof u->job_id, "%s", id->valuestring);
        snprintf(u->status, sizeof u->status, "%s", cJSON_IsString(st) ? st->valuestring : "AWAITING_UPLOADS");
    }
    cJSON_Delete(j);
    j1_response_free(&r);
    return rc;
}

int j1_uploader_new(const j1_uploader_settings *s, j1_uploader **out, err_info *err)
{
    *out = NULL;
    if (!s || !s->instance_id || !*s->instance_id)
        return err_set(err, ERR_INVALID, "JupiterOne integration instance id is empty"),
               err_hint(err, "configure the instance's integrationInstanceId");
    declare_metrics();
    j1_uploader *u = calloc(1, sizeof *u);
    if (!u)
        return err_set(err, ERR_NOMEM, "out of memory creating the JupiterOne uploader");
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    atomic_init(&u->cancel, false);
    u->cfg = *s;
    u->limit = s->batch_limit_bytes ? s->batch_limit_bytes : J1_DEFAULT_LIMIT;
    u->concurrency = s->concurrency > 0 && s->concurrency <= J1_MAX_CONCURRENCY ? s->concurrency : J1_MAX_CONCURRENCY;
    u->max_queued = J1_QUEUED_BATCHES;
    u->policy = (j1_retry_policy){s->max_attempts > 0 ? s->max_attempts : 5,
                                  s->backoff_initial_ms > 0 ? s->backoff_initial_ms : 200,
                                  s->backoff_max_ms > 0 ? s->backoff_max_ms : 10000};
    u->instance_id = strdup(s->instance_id);
    u->integration_job_id = s->integration_job_id ? strdup(s->integration_job_id) : NULL;
    if (!u->instance_id || (s->integration_job_id && !u->integration_job_id)) {
        err_set(err, ERR_NOMEM, "out of memory creating the JupiterOne uploader");
        goto fail;
    }
    if (j1_sync_client_new(s->base_url, s->api_key, s->account_id, &u->client, err) < 0)
        goto fail;
    if (start_job(u, err) < 0)
        goto fail;
    for (int i = 0; i < u->concurrency; i++) {
        if (pthread_create(&u->threads[i], NULL, worker_main, u) != 0) {
            err_set(err, ERR_INTERNAL, "cannot start JupiterOne upload threads");
            do_abort(u, "uploader could not start", &(err_info){0});
            goto fail;
        }
        u->nthreads++;
    }
    log_kv(LOG_INFO, "JupiterOne synchronization job started", "syncJobId", u->job_id, NULL);
    if (s->on_state)
        s->on_state(s->on_state_arg, u->job_id, u->status);
    *out = u;
    return 0;
fail:
    stop_workers(u);
    j1_sync_client_free(u->client);
    free(u->instance_id);
    free(u->integration_job_id);
    pthread_cond_destroy(&u->cv);
    pthread_mutex_destroy(&u->mu);
    free(u);
    return -1;
}

void j1_uploader_free(j1_uploader *u)
{
    if (!u)
        return;
    err_info e = {0};
    sink_abort(u, "the job ended before its upload finished", &e);  /* no-op once ended */
    stop_workers(u);
    for (int k = 0; k < 2; k++)
        batch_free(u->open[k]);
    j1_sync_client_free(u->client);
    free(u->instance_id);
    free(u->integration_job_id);
    for (size_t i = 0; i < u->nskipped; i++)
        free(u->skipped_types[i]);
    free(u->skipped_types);
    pthread_cond_destroy(&u->cv);
    pthread_mutex_destroy(&u->mu);
    free(u);
}

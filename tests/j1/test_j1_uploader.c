/*
 * Tests of the JupiterOne uploader (j1/j1_uploader.h) over real HTTP against
 * the fake JupiterOne (tests/fakes/fake_j1.h): exactly-once upload, one
 * finalize with exact partial datasets, abort on fatal errors, each injected
 * fault (429, 500, 413 split and shrink, slow answers,
 * JOB_NOT_AWAITING_UPLOADS), oversize objects, the in-flight bound, and
 * that the API key never reaches a log line or an error.
 */
#include "common/log.h"
#include "common/metrics.h"
#include "common/sbuf.h"
#include "fakes/fake_j1.h"
#include "j1/j1_sync_client.h"
#include "j1/j1_uploader.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#define API_KEY "j1-secret-key-0123456789abcdef"
#define ACCOUNT "acct-1"

typedef struct fx {
    fake_j1 *fake;
    int states;
    char last_state[48];
    char state_job[64];
} fx;

static void on_state(void *arg, const char *job_id, const char *status)
{
    fx *x = arg;
    x->states++;
    snprintf(x->last_state, sizeof x->last_state, "%s", status);
    snprintf(x->state_job, sizeof x->state_job, "%s", job_id ? job_id : "");
}

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    fake_j1_options o = {.api_key = API_KEY, .account_id = ACCOUNT};
    x->fake = fake_j1_start(&o);
    if (!x->fake)
        return -1;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    fake_j1_stop(x->fake);
    free(x);
    return 0;
}

static j1_uploader_settings settings(fx *x, size_t limit)
{
    return (j1_uploader_settings){
        .base_url = fake_j1_url(x->fake), .api_key = API_KEY, .account_id = ACCOUNT,
        .instance_id = "inst-1", .integration_job_id = NULL, .on_state = on_state, .on_state_arg = x,
        .batch_limit_bytes = limit, .max_attempts = 5, .backoff_initial_ms = 5, .backoff_max_ms = 50};
}

/* ---- a scripted JupiterOne for what fake_j1 cannot inject ---------------
 * One job ("job-1"); finalize and abort answers can be lost after the
 * server applied them (a proxy's 502 / a timeout: the client cannot tell)
 * or refused with 503 before anything happened; uploads can be throttled
 * with a given status and Retry-After value. */
typedef struct scripted {
    struct MHD_Daemon *d;
    char url[64];
    pthread_mutex_t mu;
    char status[48];          /* the job's */
    int finalize_lost;        /* next N finalizes: applied, answered 502 */
    int abort_lost;           /* next N aborts: applied, answered 502 */
    int abort_503;            /* next N aborts: answered 503, not applied */
    int throttle_uploads;     /* next N uploads: answered throttle_status ... */
    int throttle_status;
    char retry_after[64];     /* ... with this Retry-After ("" = none) */
    int finalizes, aborts, status_calls, uploads; /* requests received */
} scripted;

static enum MHD_Result scripted_send(struct MHD_Connection *conn, unsigned status,
                                     const char *body, const char *retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after && *retry_after)
        MHD_add_response_header(r, "Retry-After", retry_after);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result scripted_request(void *cls, struct MHD_Connection *conn, const char *url,
                                        const char *method, const char *version,
                                        const char *upload_data, size_t *upload_size,
                                        void **con_cls)
{
    (void)version;
    (void)upload_data;
    scripted *sv = cls;
    static int started;
    if (!*con_cls) {
        *con_cls = &started;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    static const char ended[] =
        "{\"error\":{\"code\":\"JOB_NOT_AWAITING_UPLOADS\",\"message\":\"job has already ended\"}}";
    char job[160], ra[64] = "";
    unsigned code = 200;
    const char *body = job;
    pthread_mutex_lock(&sv->mu);
    const char *base = "/persister/synchronization/jobs";
    if (strcmp(url, base) == 0) {
        snprintf(sv->status, sizeof sv->status, "AWAITING_UPLOADS");
    } else if (strcmp(method, "GET") == 0) {
        sv->status_calls++;
    } else if (strstr(url, "/entities") || strstr(url, "/relationships")) {
        sv->uploads++;
        if (sv->throttle_uploads > 0) {
            sv->throttle_uploads--;
            code = (unsigned)sv->throttle_status;
            snprintf(ra, sizeof ra, "%s", sv->retry_after);
        }
        body = "{}";
    } else if (strstr(url, "/finalize")) {
        sv->finalizes++;
        if (strcmp(sv->status, "AWAITING_UPLOADS") != 0) {
            code = 400;
            body = ended;
        } else {
            snprintf(sv->status, sizeof sv->status, "FINALIZE_PENDING");
            if (sv->finalize_lost > 0) {
                sv->finalize_lost--;
                code = 502;
                body = "bad gateway";
            }
        }
    } else if (strstr(url, "/abort")) {
        sv->aborts++;
        if (sv->abort_503 > 0) {
            sv->abort_503--;
            code = 503;
            body = "unavailable";
        } else if (strcmp(sv->status, "AWAITING_UPLOADS") != 0) {
            code = 400;
            body = ended;
        } else {
            snprintf(sv->status, sizeof sv->status, "ABORTED");
            if (sv->abort_lost > 0) {
                sv->abort_lost--;
                code = 502;
                body = "bad gateway";
            }
        }
    }
    snprintf(job, sizeof job, "{\"job\":{\"id\":\"job-1\",\"status\":\"%s\"}}", sv->status);
    pthread_mutex_unlock(&sv->mu);
    return scripted_send(conn, code, body, ra);
}

static scripted *scripted_start(void)
{
    scripted *sv = calloc(1, sizeof *sv);
    assert_non_null(sv);
    pthread_mutex_init(&sv->mu, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                 MHD_USE_POLL,
                             0, NULL, NULL, scripted_request, sv, MHD_OPTION_SOCK_ADDR,
                             (struct sockaddr *)&addr, MHD_OPTION_END);
    assert_non_null(sv->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(sv->url, sizeof sv->url, "http://127.0.0.1:%u", info ? info->port : 0);
    return sv;
}

static void scripted_stop(scripted *sv)
{
    MHD_stop_daemon(sv->d);
    pthread_mutex_destroy(&sv->mu);
    free(sv);
}

static j1_uploader_settings scripted_settings(const scripted *sv)
{
    return (j1_uploader_settings){.base_url = sv->url, .api_key = API_KEY, .account_id = ACCOUNT,
                                  .instance_id = "inst-1", .max_attempts = 5,
                                  .backoff_initial_ms = 5, .backoff_max_ms = 50};
}

/* Objects of one chunk, built as compact JSON. */
typedef struct objs {
    char **text;
    size_t *len;
    size_t n;
} objs;

static objs make_objs(const char *prefix, const char *type, size_t n, size_t raw_bytes, bool relationship)
{
    objs o = {calloc(n, sizeof(char *)), calloc(n, sizeof(size_t)), n};
    char *pad = malloc(raw_bytes + 1);
    memset(pad, 'x', raw_bytes);
    pad[raw_bytes] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t cap = raw_bytes + 512;
        o.text[i] = malloc(cap);
        if (relationship)
            snprintf(o.text[i], cap,
                     "{\"_key\":\"%s-%zu\",\"_type\":\"%s\",\"_class\":\"HAS\",\"_fromEntityKey\":\"a\","
                     "\"_toEntityKey\":\"b\",\"displayName\":\"HAS\"}", prefix, i, type);
        else
            snprintf(o.text[i], cap,
                     "{\"_key\":\"%s-%zu\",\"_type\":\"%s\",\"_class\":[\"Resource\"],\"name\":\"n%zu\","
                     "\"_rawData\":[{\"name\":\"default\",\"rawData\":{\"id\":\"%zu\",\"blob\":\"%s\"}}]}",
                     prefix, i, type, i, i, pad);
        o.len[i] = strlen(o.text[i]);
    }
    free(pad);
    return o;
}

static void free_objs(objs *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->text[i]);
    free(o->text);
    free(o->len);
}

static int write_objs(graph_sink *s, const objs *o, const char *type, graph_kind kind, err_info *err)
{
    /* in chunks of 25, as the store hands them over; every other chunk
     * offers its buffers to be taken, as the store does (free_objs frees
     * what was not taken) */
    for (size_t i = 0; i < o->n; i += 25) {
        size_t n = o->n - i < 25 ? o->n - i : 25;
        graph_chunk c = {"step-a", type, kind, (const char *const *)o->text + i, o->len + i, n,
                         (i / 25) % 2 ? o->text + i : NULL};
        if (s->write_chunk(s->ctx, &c, err) < 0)
            return -1;
    }
    return 0;
}

static void assert_all_once(fx *x, const char *prefix, size_t n, fake_j1_kind kind)
{
    char key[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%s-%zu", prefix, i);
        assert_int_equal(fake_j1_object_seen(x->fake, kind, key), 1);
    }
}

/* Uploads 300 entities of 2 types and 200 relationships, finishing with the
 * given partial types; returns finish's result. */
static int run_standard(fx *x_unused, j1_uploader_settings st, err_info *err, j1_uploader **out_u)
{
    (void)x_unused;
    j1_uploader *u = NULL;
    assert_int_equal(j1_uploader_new(&st, &u, err), 0);
    graph_sink s = j1_uploader_sink(u);
    objs a = make_objs("ea", "azure_a", 150, 100, false);
    objs b = make_objs("eb", "azure_b", 150, 100, false);
    objs r = make_objs("r", "azure_a_has_b", 200, 0, true);
    int rc = write_objs(&s, &a, "azure_a", GRAPH_ENTITIES, err);
    if (rc == 0)
        rc = write_objs(&s, &r, "azure_a_has_b", GRAPH_RELATIONSHIPS, err);
    if (rc == 0)
        rc = write_objs(&s, &b, "azure_b", GRAPH_ENTITIES, err);
    if (rc == 0) {
        /* every offered buffer was taken (none is over the limit), the
         * others were copied and left to their owner */
        const objs *all[] = {&a, &b, &r};
        for (size_t k = 0; k < 3; k++)
            for (size_t i = 0; i < all[k]->n; i++)
                assert_true((all[k]->text[i] == NULL) == ((i / 25) % 2 == 1));
    }
    const char *partial[] = {"azure_c", "azure_c_has_d"};
    if (rc == 0)
        rc = s.finish(s.ctx, partial, 2, "{}", err);
    else  /* what the engine does when the sink fails */
        s.abort(s.ctx, err->message, &(err_info){0});
    free_objs(&a);
    free_objs(&b);
    free_objs(&r);
    *out_u = u;
    return rc;
}

static void assert_standard_uploaded(fx *x)
{
    assert_all_once(x, "ea", 150, FAKE_J1_ENTITY);
    assert_all_once(x, "eb", 150, FAKE_J1_ENTITY);
    assert_all_once(x, "r", 200, FAKE_J1_RELATIONSHIP);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.entities, 300);
    assert_int_equal(c.relationships, 200);
    assert_int_equal(c.duplicates, 0);
    assert_int_equal(c.finalizes, 1);
    assert_int_equal(c.aborts, 0);
    char status[48], partial[256], reason[256];
    assert_true(fake_j1_last_job(x->fake, status, sizeof status, partial, sizeof partial, reason, sizeof reason));
    assert_string_equal(status, "FINALIZE_PENDING");
    assert_string_equal(partial, "[\"azure_c\",\"azure_c_has_d\"]");
}

static void test_uploads_once_and_finalizes(void **state)
{
    fx *x = *state;
    err_info err = {0};
    j1_uploader *u;
    assert_int_equal(run_standard(x, settings(x, 4000), &err, &u), 0);
    assert_standard_uploaded(x);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_true(c.uploads_accepted > 10);     /* batched, not one request */
    assert_true(c.max_upload_body <= 4000 + 64);
    assert_int_equal(c.bad_requests, 0);
    assert_string_equal(x->last_state, "FINALIZE_PENDING");
    assert_string_equal(x->state_job, j1_uploader_job_id(u));
    j1_upload_stats s;
    j1_uploader_stats(u, &s);
    assert_int_equal(s.entities_uploaded, 300);
    assert_int_equal(s.relationships_uploaded, 200);
    sbuf m;
    sbuf_init(&m);
    metrics_render(&m);
    assert_non_null(strstr(sbuf_str(&m), "j1_upload_batches_total{kind=\"entities\",status=\"ok\"}"));
    assert_non_null(strstr(sbuf_str(&m), "j1_upload_bytes_total"));
    sbuf_free(&m);
    j1_uploader_free(u);
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.aborts, 0);  /* free after finish does not abort */
}

static void test_start_body_with_job_id(void **state)
{
    fx *x = *state;
    j1_uploader_settings st = settings(x, 0);
    st.integration_job_id = "11111111-2222-4333-8444-555555555555";
    err_info err = {0};
    j1_uploader *u = NULL;
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    assert_string_equal(j1_uploader_job_id(u), "11111111-2222-4333-8444-555555555555");
    graph_sink s = j1_uploader_sink(u);
    assert_int_equal(s.finish(s.ctx, NULL, 0, "{}", &err), 0);
    char partial[64];
    assert_true(fake_j1_last_job(x->fake, NULL, 0, partial, sizeof partial, NULL, 0));
    assert_string_equal(partial, "[]");
    j1_uploader_free(u);
}

static void test_retries_429_and_500(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.fail_429 = 3, .retry_after_s = 1, .fail_500 = 3};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u;
    j1_uploader_settings st = settings(x, 4000);
    st.max_attempts = 7;  /* even if all six faults hit one batch, it succeeds */
    assert_int_equal(run_standard(x, st, &err, &u), 0);
    assert_standard_uploaded(x);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.faults_answered, 6);
    j1_upload_stats s;
    j1_uploader_stats(u, &s);
    assert_int_equal(s.retries, 6);
    j1_uploader_free(u);
}

static void test_413_splits_batches(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.max_body_bytes = 1500, .fail_413 = 2};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u;
    assert_int_equal(run_standard(x, settings(x, 8000), &err, &u), 0);
    assert_standard_uploaded(x);
    j1_upload_stats s;
    j1_uploader_stats(u, &s);
    assert_true(s.splits > 2);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    j1_uploader_free(u);
}

static void test_413_single_object_shrinks_raw_data(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.max_body_bytes = 1000};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 0);
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    graph_sink s = j1_uploader_sink(u);
    objs big = make_objs("big", "azure_a", 1, 3000, false);
    assert_int_equal(write_objs(&s, &big, "azure_a", GRAPH_ENTITIES, &err), 0);
    assert_int_equal(s.finish(s.ctx, NULL, 0, "{}", &err), 0);
    bool has_raw = false, truncated = false;
    assert_true(fake_j1_object_raw(x->fake, FAKE_J1_ENTITY, "big-0", &has_raw, &truncated));
    assert_true(has_raw);
    assert_true(truncated);
    free_objs(&big);
    j1_uploader_free(u);
}

static void test_413_unshrinkable_aborts(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.max_body_bytes = 100};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 0);
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    graph_sink s = j1_uploader_sink(u);
    objs r = make_objs("r", "azure_a_has_b", 1, 0, true);  /* no _rawData to shrink */
    write_objs(&s, &r, "azure_a_has_b", GRAPH_RELATIONSHIPS, &err);
    assert_int_equal(s.finish(s.ctx, NULL, 0, "{}", &err), -1);
    assert_non_null(strstr(err.message, "too large"));
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.finalizes, 0);
    assert_int_equal(c.aborts, 1);
    assert_int_equal(c.relationships, 0);
    char status[48];
    fake_j1_last_job(x->fake, status, sizeof status, NULL, 0, NULL, 0);
    assert_string_equal(status, "ABORTED");
    assert_string_equal(x->last_state, "ABORTED");
    free_objs(&r);
    j1_uploader_free(u);
}

static void test_job_not_awaiting_uploads_is_fatal(void **state)
{
    fx *x = *state;
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 2000);
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    fake_j1_faults f = {.not_awaiting = true};
    fake_j1_set_faults(x->fake, &f);
    graph_sink s = j1_uploader_sink(u);
    objs a = make_objs("ea", "azure_a", 400, 100, false);
    /* write_chunk fails once the error is seen, or finish reports it */
    int rc = write_objs(&s, &a, "azure_a", GRAPH_ENTITIES, &err);
    if (rc == 0)
        rc = s.finish(s.ctx, NULL, 0, "{}", &err);
    else
        rc = s.finish(s.ctx, NULL, 0, "{}", &(err_info){0});
    assert_int_equal(rc, -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.finalizes, 0);
    assert_int_equal(c.aborts, 1);
    /* it stopped: not every batch was tried 5 times */
    assert_true(c.upload_requests < 400);
    free_objs(&a);
    j1_uploader_free(u);
}

static void test_persistent_500_aborts_with_reason(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.fail_500 = 1000000};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u;
    assert_int_equal(run_standard(x, settings(x, 4000), &err, &u), -1);
    assert_int_equal(err.http_status, 500);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.finalizes, 0);
    assert_int_equal(c.aborts, 1);
    char reason[512];
    fake_j1_last_job(x->fake, NULL, 0, NULL, 0, reason, sizeof reason);
    assert_non_null(strstr(reason, "uploading"));
    j1_uploader_free(u);
}

static void test_abort_by_caller(void **state)
{
    fx *x = *state;
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 0);
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    graph_sink s = j1_uploader_sink(u);
    objs a = make_objs("ea", "azure_a", 10, 10, false);
    assert_int_equal(write_objs(&s, &a, "azure_a", GRAPH_ENTITIES, &err), 0);
    assert_int_equal(s.abort(s.ctx, "job cancelled by operator", &err), 0);
    char status[48], reason[128];
    fake_j1_last_job(x->fake, status, sizeof status, NULL, 0, reason, sizeof reason);
    assert_string_equal(status, "ABORTED");
    assert_string_equal(reason, "job cancelled by operator");
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.finalizes, 0);
    assert_int_equal(c.aborts, 1);
    free_objs(&a);
    j1_uploader_free(u);
}

/* A new attempt closes the sync job of an attempt that died mid-upload; a
 * job that is already gone counts as closed; an id that could not be ours
 * is refused before any request. */
static void test_abort_earlier_sync_job(void **state)
{
    fx *x = *state;
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 0);
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    char id[128];
    snprintf(id, sizeof id, "%s", j1_uploader_job_id(u));
    assert_int_equal(j1_abort_sync_job(&st, id, "superseded by a new attempt", &err), 0);
    char status[48], reason[128];
    fake_j1_last_job(x->fake, status, sizeof status, NULL, 0, reason, sizeof reason);
    assert_string_equal(status, "ABORTED");
    assert_string_equal(reason, "superseded by a new attempt");
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.aborts, 1);
    /* the dead attempt's uploader can no longer upload or finalize */
    graph_sink s = j1_uploader_sink(u);
    objs a = make_objs("ea", "azure_a", 3, 10, false);
    int wrc = write_objs(&s, &a, "azure_a", GRAPH_ENTITIES, &err);
    int frc = s.finish(s.ctx, NULL, 0, "{}", &err);
    assert_true(wrc != 0 || frc != 0);
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.finalizes, 0);
    free_objs(&a);
    j1_uploader_free(u);

    assert_int_equal(j1_abort_sync_job(&st, "no-such-job", NULL, &err), 0);
    err_info bad = {0};
    assert_int_equal(j1_abort_sync_job(&st, "../jobs/x", NULL, &bad), -1);
    assert_int_equal(bad.kind, ERR_INVALID);
}

static void test_free_without_finish_aborts(void **state)
{
    fx *x = *state;
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 0);
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    j1_uploader_free(u);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.aborts, 1);
    assert_int_equal(c.finalizes, 0);
}

static void test_oversize_objects(void **state)
{
    fx *x = *state;
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 1000);
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    graph_sink s = j1_uploader_sink(u);
    objs big = make_objs("big", "azure_a", 1, 1500, false);  /* fits once _rawData is gone */
    char huge[2000];
    memset(huge, 'y', sizeof huge);
    char *txt = malloc(2200);
    snprintf(txt, 2200, "{\"_key\":\"huge\",\"_type\":\"azure_a\",\"_class\":[\"Resource\"],\"name\":\"%.*s\"}",
             1800, huge);
    const char *const o[] = {txt};
    size_t l[] = {strlen(txt)};
    graph_chunk c = {"step-a", "azure_a", GRAPH_ENTITIES, o, l, 1};
    assert_int_equal(write_objs(&s, &big, "azure_a", GRAPH_ENTITIES, &err), 0);
    assert_int_equal(s.write_chunk(s.ctx, &c, &err), 0);
    /* the skipped object's type goes out as a partial dataset (JupiterOne
     * keeps the copy it holds), once, after the job's own partial types */
    const char *const partial[] = {"azure_b"};
    assert_int_equal(s.finish(s.ctx, partial, 1, "{}", &err), 0);
    char status[48], types[256], reason[64];
    assert_true(fake_j1_last_job(x->fake, status, sizeof status, types, sizeof types, reason,
                                 sizeof reason));
    assert_string_equal(types, "[\"azure_b\",\"azure_a\"]");
    bool has_raw = true, truncated = true;
    assert_true(fake_j1_object_raw(x->fake, FAKE_J1_ENTITY, "big-0", &has_raw, &truncated));
    assert_false(has_raw);
    assert_int_equal(fake_j1_object_seen(x->fake, FAKE_J1_ENTITY, "huge"), 0);
    j1_upload_stats stt;
    j1_uploader_stats(u, &stt);
    assert_int_equal(stt.objects_skipped_oversize, 1);
    assert_int_equal(stt.raw_data_dropped, 1);
    free(txt);
    free_objs(&big);
    j1_uploader_free(u);
}

static void test_at_most_six_in_flight(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.delay_ms = 60};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 600);  /* about one object per batch */
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    graph_sink s = j1_uploader_sink(u);
    objs a = make_objs("ea", "azure_a", 60, 300, false);
    assert_int_equal(write_objs(&s, &a, "azure_a", GRAPH_ENTITIES, &err), 0);
    assert_int_equal(s.finish(s.ctx, NULL, 0, "{}", &err), 0);
    assert_all_once(x, "ea", 60, FAKE_J1_ENTITY);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_true(c.max_concurrent_uploads <= 6);
    assert_true(c.max_concurrent_uploads >= 2);
    free_objs(&a);
    j1_uploader_free(u);
}

static void test_api_key_never_logged(void **state)
{
    fx *x = *state;
    char path[] = "/tmp/j1logXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    log_set_level(LOG_DEBUG);
    log_set_fd(fd);
    fake_j1_faults f = {.fail_500 = 1000000};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u;
    assert_int_equal(run_standard(x, settings(x, 4000), &err, &u), -1);
    assert_null(strstr(err.message, API_KEY));
    j1_uploader_free(u);
    /* wrong key: rejected with 401, the message names no key */
    j1_uploader_settings st = settings(x, 0);
    st.api_key = "another-secret-key-zzz";
    assert_int_equal(j1_uploader_new(&st, &u, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_null(strstr(err.message, "another-secret-key-zzz"));
    assert_null(strstr(err.hint, "another-secret-key-zzz"));
    log_set_fd(-1);
    log_set_level(LOG_INFO);
    char buf[65536];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);  /* the retries and the abort were logged */
    buf[n] = '\0';
    assert_non_null(strstr(buf, "retrying"));
    assert_null(strstr(buf, API_KEY));
    assert_null(strstr(buf, "another-secret-key-zzz"));
}

static void test_retry_after_is_honoured(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.fail_429 = 1, .retry_after_s = 1};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 0);
    st.backoff_max_ms = 3000;  /* cap above the server's 1 s */
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    graph_sink s = j1_uploader_sink(u);
    objs a = make_objs("ea", "azure_a", 1, 10, false);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(write_objs(&s, &a, "azure_a", GRAPH_ENTITIES, &err), 0);
    assert_int_equal(s.finish(s.ctx, NULL, 0, "{}", &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(waited >= 0.9);  /* waited for Retry-After, not the 5 ms backoff */
    assert_int_equal(fake_j1_object_seen(x->fake, FAKE_J1_ENTITY, "ea-0"), 1);
    free_objs(&a);
    j1_uploader_free(u);
}

static void test_connection_refused_is_network_error(void **state)
{
    (void)state;
    fake_j1 *gone = fake_j1_start(NULL);
    assert_non_null(gone);
    char url[64];
    snprintf(url, sizeof url, "%s", fake_j1_url(gone));
    fake_j1_stop(gone);  /* nothing listens there any more */
    j1_uploader_settings st = {.base_url = url, .api_key = API_KEY, .account_id = ACCOUNT,
                               .instance_id = "inst-1", .max_attempts = 3, .backoff_initial_ms = 5,
                               .backoff_max_ms = 20};
    err_info err = {0};
    j1_uploader *u = NULL;
    assert_int_equal(j1_uploader_new(&st, &u, &err), -1);
    assert_int_equal(err.kind, ERR_NETWORK);
    assert_non_null(strstr(err.message, "after 3 attempts"));
    assert_null(u);
}

typedef struct writer_arg {
    graph_sink sink;
    objs o;
    int rc;
    err_info err;
} writer_arg;

static void *writer_main(void *p)
{
    writer_arg *w = p;
    w->rc = write_objs(&w->sink, &w->o, "azure_a", GRAPH_ENTITIES, &w->err);
    return NULL;
}

static void test_abort_releases_blocked_writer(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.delay_ms = 200};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 400);  /* one object per batch: the queue fills */
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    writer_arg w = {.sink = j1_uploader_sink(u), .o = make_objs("ea", "azure_a", 200, 300, false)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(w.sink.abort(w.sink.ctx, "stopped", &err), 0);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, -1);
    assert_int_equal(w.err.kind, ERR_CANCELLED);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.aborts, 1);
    assert_int_equal(c.finalizes, 0);
    free_objs(&w.o);
    j1_uploader_free(u);
}

static void test_rejects_plain_http_remote(void **state)
{
    fx *x = *state;
    j1_uploader_settings st = settings(x, 0);
    /* the second's host is api.us.jupiterone.io: the key would go in plain
     * text; the third has a credential in the URL */
    static const char *const refused[] = {"http://api.us.jupiterone.io",
                                          "http://localhost:1@api.us.jupiterone.io",
                                          "https://user:pw@api.us.jupiterone.io"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        st.base_url = refused[i];
        err_info err = {0};
        j1_uploader *u = NULL;
        assert_int_equal(j1_uploader_new(&st, &u, &err), -1);
        assert_int_equal(err.kind, ERR_INVALID);
        assert_null(u);
    }
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.jobs_started, 0);
}

/* Without an API key (J1_API_KEY is optional: a proxy may add the header)
 * the requests carry no Authorization header; JupiterOne's 401 then fails
 * with a hint naming J1_API_KEY. */
static void test_without_key(void **state)
{
    fx *x = *state;
    j1_uploader_settings st = settings(x, 0);
    st.api_key = NULL;
    err_info err = {0};
    j1_uploader *u = NULL;
    assert_int_equal(j1_uploader_new(&st, &u, &err), -1);
    assert_null(u);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_non_null(strstr(err.hint, "J1_API_KEY is not set"));
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.jobs_started, 0);
    assert_int_equal(c.bad_requests, 1);
}

/* Finalize's answer is lost after JupiterOne applied it (a gateway's 502,
 * a timeout): the retry is answered JOB_NOT_AWAITING_UPLOADS.  The job's
 * status shows the finalize took effect, so finish succeeds and the job
 * is not aborted (which would have thrown the upload away). */
static void test_finalize_answer_lost(void **state)
{
    (void)state;
    scripted *sv = scripted_start();
    sv->finalize_lost = 1;
    j1_uploader_settings st = scripted_settings(sv);
    err_info err = {0};
    j1_uploader *u = NULL;
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    graph_sink s = j1_uploader_sink(u);
    if (s.finish(s.ctx, NULL, 0, "{}", &err) != 0)
        fail_msg("finish failed: %s", err.message);
    char status[48];
    j1_uploader_status(u, status, sizeof status);
    assert_string_equal(status, "FINALIZE_PENDING");
    j1_uploader_free(u);
    assert_int_equal(sv->finalizes, 2);
    assert_int_equal(sv->status_calls, 1);
    assert_int_equal(sv->aborts, 0);
    assert_string_equal(sv->status, "FINALIZE_PENDING");
    scripted_stop(sv);
}

/* Abort is retried on a 5xx like every other call (the SDK's HTTP layer
 * makes 3 attempts): one 503 does not leave the job open; an abort whose
 * answer was lost after it took effect counts as done. */
static void test_abort_retried(void **state)
{
    (void)state;
    for (int lost = 0; lost < 2; lost++) {
        scripted *sv = scripted_start();
        if (lost)
            sv->abort_lost = 1;
        else
            sv->abort_503 = 1;
        j1_uploader_settings st = scripted_settings(sv);
        err_info err = {0};
        j1_uploader *u = NULL;
        assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
        graph_sink s = j1_uploader_sink(u);
        if (s.abort(s.ctx, "job cancelled by operator", &err) != 0)
            fail_msg("abort failed (%s): %s", lost ? "lost" : "503", err.message);
        char status[48];
        j1_uploader_status(u, status, sizeof status);
        assert_string_equal(status, "ABORTED");
        j1_uploader_free(u);
        assert_int_equal(sv->aborts, 2);
        assert_int_equal(sv->finalizes, 0);
        assert_string_equal(sv->status, "ABORTED");
        scripted_stop(sv);
    }
}

/* Retry-After is honoured on 503 as on 429, in both of its forms (delta
 * seconds and an HTTP date); the backoff alone would retry after 5 ms. */
static void test_retry_after_503_and_http_date(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        scripted *sv = scripted_start();
        sv->throttle_uploads = 1;
        if (k == 0) {
            sv->throttle_status = 503;
            snprintf(sv->retry_after, sizeof sv->retry_after, "1");
        } else {
            sv->throttle_status = 429;
            time_t t = time(NULL) + 2;
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(sv->retry_after, sizeof sv->retry_after, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        }
        j1_uploader_settings st = scripted_settings(sv);
        st.backoff_max_ms = 3000; /* cap above the server's wait */
        err_info err = {0};
        j1_uploader *u = NULL;
        assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
        graph_sink s = j1_uploader_sink(u);
        objs a = make_objs("ea", "azure_a", 1, 10, false);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(write_objs(&s, &a, "azure_a", GRAPH_ENTITIES, &err), 0);
        assert_int_equal(s.finish(s.ctx, NULL, 0, "{}", &err), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (waited < 0.9)
            fail_msg("case %d (%d, Retry-After %s): retried after %.3f s", k, sv->throttle_status,
                     sv->retry_after, waited);
        assert_true(waited < 2.9);
        assert_int_equal(sv->uploads, 2);
        free_objs(&a);
        j1_uploader_free(u);
        scripted_stop(sv);
    }
}

/* abort() does not wait for uploads in flight to be answered: a JupiterOne
 * that hangs (here: 3 s per upload answer; the request timeout is 5
 * minutes) cannot hold a cancelled job or a draining process. */
static void test_abort_stops_uploads_in_flight(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.delay_ms = 3000};
    fake_j1_set_faults(x->fake, &f);
    err_info err = {0};
    j1_uploader *u = NULL;
    j1_uploader_settings st = settings(x, 500); /* one object (~420 bytes) per batch */
    assert_int_equal(j1_uploader_new(&st, &u, &err), 0);
    graph_sink s = j1_uploader_sink(u);
    objs a = make_objs("ea", "azure_a", 3, 300, false);
    assert_int_equal(write_objs(&s, &a, "azure_a", GRAPH_ENTITIES, &err), 0);
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL); /* the two closed batches are being sent */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(s.abort(s.ctx, "job cancelled by operator", &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (took > 1.5)
        fail_msg("abort took %.2f s", took);
    fake_j1_counts c;
    fake_j1_counts_get(x->fake, &c);
    assert_int_equal(c.aborts, 1);
    assert_int_equal(c.finalizes, 0);
    free_objs(&a);
    j1_uploader_free(u);
}

typedef struct canceller {
    atomic_bool *flag;
    int after_ms;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    usleep((useconds_t)c->after_ms * 1000);
    atomic_store(c->flag, true);
    return NULL;
}

/* A cancel that comes while a request waits to be retried ends it as
 * cancelled (as the header says), not as an answered 500 or a network
 * error: the job's error then says what happened. */
static void test_cancel_between_retries(void **state)
{
    fx *x = *state;
    fake_j1_faults f = {.fail_500 = 100};
    fake_j1_set_faults(x->fake, &f);
    j1_sync_client *c = NULL;
    err_info err = {0};
    assert_int_equal(j1_sync_client_new(fake_j1_url(x->fake), API_KEY, ACCOUNT, &c, &err), 0);
    j1_response r;
    const char start[] = "{\"source\":\"integration-managed\",\"integrationInstanceId\":\"i\"}";
    assert_int_equal(j1_sync_call(c, "POST", "/persister/synchronization/jobs", start,
                                  strlen(start), NULL, NULL, NULL, &r, &err), 0);
    cJSON *j = cJSON_ParseWithLength(r.body.data, r.body.len);
    const cJSON *job = cJSON_GetObjectItem(j, "job");
    char path[256];
    snprintf(path, sizeof path, "/persister/synchronization/jobs/%s/entities",
             cJSON_GetObjectItem(job, "id")->valuestring);
    cJSON_Delete(j);
    j1_response_free(&r);
    atomic_bool flag = false;
    canceller cl = {&flag, 150};
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, &cl);
    const char body[] = "{\"entities\":[]}";
    j1_retry_policy slow = {.max_attempts = 5, .initial_ms = 5000, .max_ms = 5000};
    const char *corr = "0f8fad5b-d9cb-469f-a165-70867728950e";
    assert_int_equal(j1_sync_call(c, "POST", path, body, strlen(body), corr, &slow, &flag, &r,
                                  &err), -1);
    pthread_join(t, NULL);
    assert_int_equal(err.kind, ERR_CANCELLED);
    assert_non_null(strstr(err.message, "cancelled after 1 attempt"));
    j1_response_free(&r);
    fake_j1_counts n;
    fake_j1_counts_get(x->fake, &n);
    assert_int_equal(n.upload_requests, 1);
    j1_sync_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uploads_once_and_finalizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_between_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_body_with_job_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_429_and_500, setup, teardown),
        cmocka_unit_test_setup_teardown(test_413_splits_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_413_single_object_shrinks_raw_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_413_unshrinkable_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_not_awaiting_uploads_is_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistent_500_aborts_with_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_by_caller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_without_finish_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_earlier_sync_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_most_six_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_key_never_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_plain_http_remote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_releases_blocked_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_is_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused_is_network_error, setup, teardown),
        cmocka_unit_test(test_finalize_answer_lost),
        cmocka_unit_test(test_abort_retried),
        cmocka_unit_test_setup_teardown(test_abort_stops_uploads_in_flight, setup, teardown),
        cmocka_unit_test(test_retry_after_503_and_http_date),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    metrics_reset();
    return rc;
}

/* runner: ordering, concurrency bound, dependency failure, disabled steps,
 * fatal errors, stop, table checks, summary and partial datasets. */
#include "common/json.h"
#include "engine/runner.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static atomic_int g_active, g_max_active, g_seq, g_runs[16];
static int g_end_seq[16], g_start_seq[16];

static int idx_of(const char *id) { return id[0] - 'a'; }

static int work(step_ctx *ctx, err_info *err)
{
    const step_def *d = step_current(ctx);
    int i = idx_of(d->id);
    g_start_seq[i] = atomic_fetch_add(&g_seq, 1);
    atomic_fetch_add(&g_runs[i], 1);
    int a = atomic_fetch_add(&g_active, 1) + 1;
    int m = atomic_load(&g_max_active);
    while (a > m && !atomic_compare_exchange_weak(&g_max_active, &m, a))
        ;
    usleep(20000);
    char key[64];
    snprintf(key, sizeof key, "key-of-step-%s", d->id);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "_key", key);
    cJSON_AddStringToObject(e, "_type", d->entities[0].type);
    cJSON *c = cJSON_AddArrayToObject(e, "_class");
    cJSON_AddItemToArray(c, cJSON_CreateString("Resource"));
    cJSON_AddStringToObject(e, "name", d->id);
    cJSON_AddStringToObject(e, "displayName", d->id);
    int rc = step_add_entity(ctx, e, err);
    atomic_fetch_sub(&g_active, 1);
    g_end_seq[i] = atomic_fetch_add(&g_seq, 1);
    if (rc != 0)
        return rc;
    if (d->arg)
        return err_set(err, *(const err_kind *)d->arg, "injected failure of %s", d->id);
    return 0;
}

static const err_kind k_fail = ERR_UPSTREAM, k_auth = ERR_AUTH;

#define STEP(ID, TYPE, ...) \
    {.id = ID, .name = "Step " ID, .entities = {{.type = TYPE, .classes = {"Resource"}}}, \
     .run = work, __VA_ARGS__}

static const step_def s_a = STEP("a", "t_a");
static const step_def s_b = STEP("b", "t_b", .depends_on = {"a"});
static const step_def s_c = STEP("c", "t_c", .depends_on = {"b"});
static const step_def s_d = STEP("d", "t_d", .enabled_when = STEP_IF_ACTIVE_DIRECTORY);
static const step_def s_e = STEP("e", "t_e", .depends_on = {"d"});
static const step_def s_f = STEP("f", "t_f", .arg = &k_fail);
static const step_def s_g = STEP("g", "t_g", .depends_on = {"f"});
static const step_def s_h = STEP("h", "t_h", .depends_on = {"g"});

static bool enabled(void *integration, const step_def *step)
{
    (void)integration;
    return step->enabled_when != STEP_IF_ACTIVE_DIRECTORY;
}

typedef struct sink_rec {
    int finished, aborted;
    cJSON *partial;
    char *summary;
} sink_rec;

static int s_write(void *ctx, const graph_chunk *c, err_info *err)
{
    (void)ctx, (void)c, (void)err;
    return 0;
}

static int s_finish(void *ctx, const char *const *types, size_t n, const char *summary, err_info *err)
{
    (void)err;
    sink_rec *r = ctx;
    r->finished++;
    r->partial = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(r->partial, cJSON_CreateString(types[i]));
    r->summary = strdup(summary);
    return 0;
}

static int s_abort(void *ctx, const char *reason, err_info *err)
{
    (void)reason, (void)err;
    ((sink_rec *)ctx)->aborted++;
    return 0;
}

static void reset(void)
{
    atomic_store(&g_active, 0);
    atomic_store(&g_max_active, 0);
    atomic_store(&g_seq, 1);
    memset(g_start_seq, 0, sizeof g_start_seq);
    for (int i = 0; i < 16; i++)
        atomic_store(&g_runs[i], 0);
    memset(g_end_seq, 0, sizeof g_end_seq);
}

static const cJSON *result_of(const cJSON *summary, const char *id)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, json_get(summary, "integrationStepResults"))
        if (strcmp(json_get_string(r, "id"), id) == 0)
            return r;
    return NULL;
}

static bool has(const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (strcmp(e->valuestring, s) == 0) return true;
    return false;
}

typedef struct progress {
    atomic_int changes;
    atomic_int per_step[8][8]; /* [step a..h][status] */
} progress;

static void on_change(void *ctx, const runner_step_info *info)
{
    progress *p = ctx;
    atomic_fetch_add(&p->changes, 1);
    int i = idx_of(info->def->id);
    if (i >= 0 && i < 8 && (int)info->status >= 0 && (int)info->status < 8)
        atomic_fetch_add(&p->per_step[i][info->status], 1);
}

static void test_statuses_and_partial(void **state)
{
    (void)state;
    reset();
    const step_def *table[] = {&s_a, &s_b, &s_c, &s_d, &s_e, &s_f, &s_g, &s_h};
    sink_rec rec = {0};
    graph_sink sink = {.ctx = &rec, .write_chunk = s_write, .finish = s_finish, .abort = s_abort};
    err_info err = {0};
    graph_store *store = graph_store_new(&sink, NULL, &err);
    progress pr = {0};
    runner_config cfg = {.table = table, .count = 8, .enabled = enabled, .store = store,
                         .sink = &sink, .threads = 3,
                         .callbacks = {.ctx = &pr, .step_changed = on_change}};
    runner *r = runner_new(&cfg, &err);
    assert_non_null(r);
    assert_int_equal(runner_run(r, &err), RUNNER_PARTIAL);
    /* ordering: dependents start after their dependency ended */
    assert_true(g_start_seq[idx_of("b")] > g_end_seq[idx_of("a")]);
    assert_true(g_start_seq[idx_of("c")] > g_end_seq[idx_of("b")]);
    assert_int_equal(runner_step_status(r, 0), RUNNER_STEP_SUCCESS);
    assert_int_equal(runner_step_status(r, 3), RUNNER_STEP_DISABLED);
    assert_int_equal(runner_step_status(r, 4), RUNNER_STEP_DISABLED);
    assert_int_equal(runner_step_status(r, 5), RUNNER_STEP_FAILURE);
    assert_int_equal(runner_step_status(r, 6), RUNNER_STEP_DEPENDENCY_FAILURE);
    assert_int_equal(runner_step_status(r, 7), RUNNER_STEP_DEPENDENCY_FAILURE);
    /* g and h ran after f failed (as in the SDK), d never (disabled) */
    assert_true(g_start_seq[idx_of("g")] > g_end_seq[idx_of("f")]);
    assert_true(g_start_seq[idx_of("h")] > g_end_seq[idx_of("g")]);
    assert_int_equal(atomic_load(&g_runs[idx_of("g")]), 1);
    assert_int_equal(g_start_seq[idx_of("d")], 0);
    assert_string_equal(runner_status_job_name(RUNNER_STEP_DEPENDENCY_FAILURE), "success");
    assert_string_equal(runner_status_job_name(RUNNER_STEP_DISABLED), "skipped");
    assert_int_equal(rec.finished, 1);
    assert_int_equal(rec.aborted, 0);
    /* partial datasets: failed + dependency-failed steps' types, not disabled ones */
    assert_int_equal(cJSON_GetArraySize(rec.partial), 3);
    assert_true(has(rec.partial, "t_f") && has(rec.partial, "t_g") && has(rec.partial, "t_h"));
    cJSON *summary = cJSON_Parse(rec.summary);
    assert_non_null(summary);
    const cJSON *ra = result_of(summary, "a");
    assert_string_equal(json_get_string(ra, "status"), "success");
    assert_true(has(json_get(ra, "encounteredTypes"), "t_a"));
    assert_non_null(json_get(ra, "startTime"));
    assert_null(json_get(ra, "dependsOn"));
    const cJSON *rg = result_of(summary, "g");
    assert_string_equal(json_get_string(rg, "status"), "partial_success_due_to_dependency_failure");
    assert_true(has(json_get(rg, "dependsOn"), "f"));
    assert_non_null(json_get(rg, "startTime"));
    assert_true(has(json_get(rg, "encounteredTypes"), "t_g"));
    assert_string_equal(json_get_string(result_of(summary, "d"), "status"), "disabled");
    assert_int_equal(cJSON_GetArraySize(json_path(summary, "metadata.partialDatasets.types")), 3);
    /* each step reported: a,b,c,f,g,h twice (running + end), d,e once */
    if (atomic_load(&pr.changes) != 6 * 2 + 2)
        for (int i = 0; i < 8; i++)
            for (int st = 0; st < 8; st++)
                if (atomic_load(&pr.per_step[i][st]))
                    fprintf(stderr, "step %c status %d reported %d times\n", 'a' + i, st,
                            atomic_load(&pr.per_step[i][st]));
    assert_int_equal(atomic_load(&pr.changes), 6 * 2 + 2);
    cJSON_Delete(summary);
    cJSON_Delete(rec.partial);
    free(rec.summary);
    runner_free(r);
    graph_store_free(store);
}

/* A worker that settles steps (here: a disabled one) and finds a runnable
 * one in the same pass reports the settled ones with the lock released;
 * the runnable step must already be its own by then, or another worker
 * takes it too and it runs twice.  The slow report holds that window open
 * for 50 ms. */
static void on_change_slow_settle(void *ctx, const runner_step_info *info)
{
    on_change(ctx, info);
    if (info->status == RUNNER_STEP_DISABLED)
        usleep(50000);
}

static void test_no_step_runs_twice(void **state)
{
    (void)state;
    reset();
    const step_def *table[] = {&s_d, &s_a, &s_b};
    sink_rec rec = {0};
    graph_sink sink = {.ctx = &rec, .write_chunk = s_write, .finish = s_finish, .abort = s_abort};
    err_info err = {0};
    graph_store *store = graph_store_new(&sink, NULL, &err);
    progress pr = {0};
    runner_config cfg = {.table = table, .count = 3, .enabled = enabled, .store = store,
                         .sink = &sink, .threads = 3,
                         .callbacks = {.ctx = &pr, .step_changed = on_change_slow_settle}};
    runner *r = runner_new(&cfg, &err);
    assert_non_null(r);
    assert_int_equal(runner_run(r, &err), RUNNER_OK);
    assert_int_equal(atomic_load(&g_runs[idx_of("a")]), 1);
    assert_int_equal(atomic_load(&g_runs[idx_of("b")]), 1);
    assert_int_equal(atomic_load(&g_runs[idx_of("d")]), 0);
    /* d once (disabled); a and b twice (running, then success) */
    assert_int_equal(atomic_load(&pr.changes), 1 + 2 * 2);
    assert_int_equal(runner_step_status(r, 1), RUNNER_STEP_SUCCESS);
    assert_int_equal(rec.finished, 1);
    cJSON_Delete(rec.partial);
    free(rec.summary);
    runner_free(r);
    graph_store_free(store);
}

static const step_def s_p[6] = {STEP("a", "t_a"), STEP("b", "t_b"), STEP("c", "t_c"),
                                STEP("d", "t_d"), STEP("e", "t_e"), STEP("f", "t_f")};

static void test_concurrency_bound(void **state)
{
    (void)state;
    for (unsigned threads = 1; threads <= 3; threads++) {
        reset();
        const step_def *table[] = {&s_p[0], &s_p[1], &s_p[2], &s_p[3], &s_p[4], &s_p[5]};
        err_info err = {0};
        graph_store *store = graph_store_new(NULL, NULL, &err);
        runner_config cfg = {.table = table, .count = 6, .store = store, .threads = threads};
        runner *r = runner_new(&cfg, &err);
        assert_int_equal(runner_run(r, &err), RUNNER_OK);
        assert_true(atomic_load(&g_max_active) <= (int)threads);
        assert_true(atomic_load(&g_max_active) >= 1);
        runner_free(r);
        graph_store_free(store);
    }
}

static const step_def s_auth = STEP("a", "t_a", .arg = &k_auth);
static const step_def s_after = STEP("b", "t_b", .depends_on = {"a"});

static void test_fatal_aborts(void **state)
{
    (void)state;
    reset();
    const step_def *table[] = {&s_auth, &s_after};
    sink_rec rec = {0};
    graph_sink sink = {.ctx = &rec, .write_chunk = s_write, .finish = s_finish, .abort = s_abort};
    err_info err = {0};
    graph_store *store = graph_store_new(&sink, NULL, &err);
    runner_config cfg = {.table = table, .count = 2, .store = store, .sink = &sink, .threads = 2};
    runner *r = runner_new(&cfg, &err);
    assert_int_equal(runner_run(r, &err), RUNNER_FATAL);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_int_equal(rec.aborted, 1);
    assert_int_equal(rec.finished, 0);
    assert_int_equal(runner_step_status(r, 1), RUNNER_STEP_NOT_RUN);
    runner_free(r);
    graph_store_free(store);
}

static bool stop_now(void *ctx)
{
    (void)ctx;
    return true;
}

static void test_stop(void **state)
{
    (void)state;
    reset();
    const step_def *table[] = {&s_p[0], &s_p[1]};
    sink_rec rec = {0};
    graph_sink sink = {.ctx = &rec, .write_chunk = s_write, .finish = s_finish, .abort = s_abort};
    err_info err = {0};
    graph_store *store = graph_store_new(&sink, NULL, &err);
    runner_config cfg = {.table = table, .count = 2, .store = store, .sink = &sink,
                         .callbacks = {.should_stop = stop_now}};
    runner *r = runner_new(&cfg, &err);
    assert_int_equal(runner_run(r, &err), RUNNER_STOPPED);
    assert_int_equal(rec.aborted, 1);
    assert_int_equal(g_start_seq[0], 0);
    runner_free(r);
    graph_store_free(store);
}

static const step_def s_undeclared = {.id = "u", .name = "U", .run = work,
                                      .entities = {{.type = "t_other", .classes = {"Resource"}}}};

static int add_undeclared(step_ctx *ctx, err_info *err)
{
    cJSON *e = cJSON_Parse("{\"_key\":\"undeclared-key\",\"_type\":\"t_nope\",\"_class\":[\"Resource\"],"
                           "\"name\":\"n\",\"displayName\":\"n\"}");
    int rc = step_add_entity(ctx, e, err);
    assert_int_equal(rc, -1);
    assert_int_equal(err->kind, ERR_INVALID);
    assert_int_equal(step_data_set(ctx, "x", cJSON_CreateNumber(1), err), 0);
    assert_int_equal(step_data_set(ctx, "x", cJSON_CreateNumber(2), err), -1);
    assert_true(step_data_get(ctx, "x")->valuedouble == 1);
    return 0;
}

static void test_undeclared_and_data(void **state)
{
    (void)state;
    step_def d = s_undeclared;
    d.run = add_undeclared;
    const step_def *table[] = {&d};
    err_info err = {0};
    graph_store *store = graph_store_new(NULL, NULL, &err);
    runner_config cfg = {.table = table, .count = 1, .store = store};
    runner *r = runner_new(&cfg, &err);
    assert_int_equal(runner_run(r, &err), RUNNER_OK);
    runner_free(r);
    graph_store_free(store);
}

static const step_def t_dup1 = STEP("a", "t_a");
static const step_def t_dup2 = STEP("a", "t_b");
static const step_def t_unknown = STEP("b", "t_b", .depends_on = {"zz"});
static const step_def t_cyc1 = STEP("a", "t_a", .depends_on = {"b"});
static const step_def t_cyc2 = STEP("b", "t_b", .depends_on = {"a"});

static void test_table_checks(void **state)
{
    (void)state;
    err_info err = {0};
    const step_def *dup[] = {&t_dup1, &t_dup2};
    assert_int_equal(runner_check_table(dup, 2, false, &err), -1);
    assert_non_null(strstr(err.message, "duplicate"));
    const step_def *unk[] = {&t_dup1, &t_unknown};
    assert_int_equal(runner_check_table(unk, 2, false, &err), -1);
    assert_non_null(strstr(err.message, "unknown step zz"));
    assert_int_equal(runner_check_table(unk, 2, true, &err), 0);
    const step_def *cyc[] = {&t_cyc1, &t_cyc2};
    assert_int_equal(runner_check_table(cyc, 2, false, &err), -1);
    assert_non_null(strstr(err.message, "cycle"));
    graph_store *store = graph_store_new(NULL, NULL, &err);
    runner_config cfg = {.table = cyc, .count = 2, .store = store};
    assert_null(runner_new(&cfg, &err));
    graph_store_free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statuses_and_partial), cmocka_unit_test(test_concurrency_bound),
        cmocka_unit_test(test_fatal_aborts),         cmocka_unit_test(test_stop),
        cmocka_unit_test(test_undeclared_and_data),  cmocka_unit_test(test_table_checks),
        cmocka_unit_test(test_no_step_runs_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

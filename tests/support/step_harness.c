/*
 * step_harness: see step_harness.h.  The harness owns a graph store whose
 * sink is an in-memory collector (every chunk parsed back into cJSON), and
 * a runner over the registry's table with external dependencies allowed;
 * steps run one at a time with runner_run_one, so a test controls the
 * order and can seed what a dependency would have produced.
 */
#include "support/step_harness.h"

#include "common/json.h"
#include "engine/graph_store.h"
#include "engine/runner.h"
#include "steps/registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct step_harness {
    azure_job *job;
    cJSON *entities, *relationships;
    pthread_mutex_t mu;
    graph_sink sink;
    graph_store *store;
    runner *runner;
    const step_def *const *table;
    size_t count;
};

static int collect_chunk(void *ctx, const graph_chunk *c, err_info *err)
{
    step_harness *h = ctx;
    pthread_mutex_lock(&h->mu);
    cJSON *dst = c->kind == GRAPH_ENTITIES ? h->entities : h->relationships;
    int rc = 0;
    for (size_t i = 0; i < c->count && rc == 0; i++) {
        cJSON *o = json_parse_len(c->objects[i], c->lengths[i]);
        if (!o || !cJSON_AddItemToArray(dst, o)) {
            cJSON_Delete(o);
            rc = err_set(err, ERR_INTERNAL, "harness: a chunk object did not parse");
        }
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

static int collect_finish(void *ctx, const char *const *types, size_t n, const char *summary,
                          err_info *err)
{
    (void)ctx, (void)types, (void)n, (void)summary, (void)err;
    return 0;
}

static int collect_abort(void *ctx, const char *reason, err_info *err)
{
    (void)ctx, (void)reason, (void)err;
    return 0;
}

static bool enabled(void *integration, const step_def *step)
{
    return azure_job_step_enabled(integration, step);
}

step_harness *step_harness_new(azure_job *job)
{
    size_t n;
    const step_def *const *table = registry_steps(&n);
    return step_harness_new_table(job, table, n);
}

step_harness *step_harness_new_table(azure_job *job, const step_def *const *table, size_t count)
{
    step_harness *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->job = job;
    pthread_mutex_init(&h->mu, NULL);
    h->entities = cJSON_CreateArray();
    h->relationships = cJSON_CreateArray();
    h->sink = (graph_sink){.ctx = h, .write_chunk = collect_chunk, .finish = collect_finish,
                           .abort = collect_abort};
    err_info err = {0};
    h->store = graph_store_new(&h->sink, NULL, &err);
    h->table = table;
    h->count = count;
    runner_config cfg = {.table = h->table, .count = h->count, .integration = job,
                         .enabled = enabled, .store = h->store, .sink = &h->sink,
                         .external_deps = true, .threads = 1};
    if (h->store)
        h->runner = runner_new(&cfg, &err);
    if (!h->entities || !h->relationships || !h->store || !h->runner) {
        step_harness_free(h);
        return NULL;
    }
    return h;
}

void step_harness_free(step_harness *h)
{
    if (!h)
        return;
    runner_free(h->runner);
    graph_store_free(h->store);
    cJSON_Delete(h->entities);
    cJSON_Delete(h->relationships);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int step_harness_seed_entity(step_harness *h, cJSON *entity, err_info *err)
{
    return runner_seed(h->runner, "seed", GRAPH_ENTITIES, entity, err);
}

static long index_of(step_harness *h, const char *id)
{
    for (size_t i = 0; i < h->count; i++)
        if (strcmp(h->table[i]->id, id) == 0)
            return (long)i;
    return -1;
}

int step_harness_run(step_harness *h, const step_def *step, err_info *err)
{
    long i = index_of(h, step->id);
    if (i < 0)
        return err_set(err, ERR_INVALID, "harness: step %s is not in the registry", step->id);
    if (!azure_job_step_enabled(h->job, h->table[i]))
        return 0;
    return runner_run_one(h->runner, (size_t)i, err);
}

const char *step_harness_status(step_harness *h, const char *step_id)
{
    long i = index_of(h, step_id);
    if (i < 0)
        return "unknown";
    runner_status s = runner_step_status(h->runner, (size_t)i);
    if (s == RUNNER_STEP_PENDING && !azure_job_step_enabled(h->job, h->table[i]))
        return "disabled";
    return runner_status_sdk_name(s);
}

cJSON *step_harness_graph(step_harness *h)
{
    err_info err = {0};
    graph_store_flush(h->store, NULL, &err);
    pthread_mutex_lock(&h->mu);
    cJSON *g = cJSON_CreateObject();
    if (g) {
        cJSON_AddItemToObject(g, "entities", cJSON_Duplicate(h->entities, 1));
        cJSON_AddItemToObject(g, "relationships", cJSON_Duplicate(h->relationships, 1));
    }
    pthread_mutex_unlock(&h->mu);
    return g;
}

cJSON *step_harness_run_ids(const cJSON *config, const azure_endpoints *endpoints,
                            const char *const *step_ids, size_t count, err_info *err)
{
    azure_instance_info inst = {.instance_id = "local-integration-instance",
                                .instance_name = "Local Integration",
                                .account_id = "Your account"};
    azure_job *job = NULL;
    if (azure_job_new(config, &inst, endpoints, &job, err) != 0)
        return NULL;
    cJSON *out = NULL;
    step_harness *h = NULL;
    if (azure_job_validate(job, err) != 0)
        goto done;
    h = step_harness_new(job);
    if (!h) {
        err_set(err, ERR_NOMEM, "harness: cannot create the engine");
        goto done;
    }
    cJSON *steps = cJSON_CreateObject();
    for (size_t i = 0; steps && i < count; i++) {
        const step_def *d = registry_find(step_ids[i]);
        cJSON *st = cJSON_AddObjectToObject(steps, step_ids[i]);
        if (!d || !st) {
            cJSON_AddStringToObject(st, "status", "unknown");
            continue;
        }
        err_info se = {0};
        int rc = step_harness_run(h, d, &se);
        cJSON_AddStringToObject(st, "status", step_harness_status(h, d->id));
        if (rc != 0) {
            char buf[900];
            cJSON_AddStringToObject(st, "error", err_describe(&se, buf, sizeof buf));
        }
    }
    out = step_harness_graph(h);
    if (out)
        cJSON_AddItemToObject(out, "steps", steps);
    else
        cJSON_Delete(steps);
done:
    step_harness_free(h);
    azure_job_free(job);
    return out;
}

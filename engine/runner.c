/*
 * runner: see runner.h.  Also implements the step_ctx functions of
 * engine/step.h: a step_ctx is (runner, step index), so every call finds
 * the job's store, data and the step's own counters without globals.
 *
 * Scheduling is a small self-service pool: each worker takes the mutex,
 * settles every pending step whose fate is already decided (disabled),
 * picks one whose dependencies have all ended (noting whether one failed),
 * and runs it with the mutex released.  Progress callbacks are made without the
 * mutex held, so a slow persister never blocks other workers' scheduling.
 */
#include "engine/runner.h"

#include "engine/graph_rules.h"

#include "common/json.h"
#include "common/json_arena.h"
#include "common/log.h"
#include "common/timefmt.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct step_state {
    runner_status status;
    int64_t start_ms, end_ms;
    uint64_t entities, relationships;
    cJSON *encountered;    /* {_type: count} in first-seen order */
    cJSON *marked;         /* types marked partial by the step */
    char *error;           /* "message (hint)" or NULL */
    bool dep_failed;       /* runs after a dependency failed (SDK: partial success) */
    size_t *deps;          /* indices into the table */
    size_t ndeps;
} step_state;

struct step_ctx {
    runner *r;
    size_t idx;
};

struct runner {
    runner_config cfg;
    step_state *st;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cJSON *data;
    size_t running;
    bool fatal, stopped;
    err_info fatal_err;
};

/* ---- table check -------------------------------------------------------- */

static long find_step(const step_def *const *table, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i]->id, id) == 0)
            return (long)i;
    return -1;
}

static int visit(const step_def *const *table, size_t n, size_t i, unsigned char *color,
                 bool external, err_info *err)
{
    if (color[i] == 2)
        return 0;
    if (color[i] == 1)
        return err_set(err, ERR_INVALID, "step table: dependency cycle through %s", table[i]->id);
    color[i] = 1;
    const char *deps[512];
    int nd = step_depends_expand(table, n, table[i], deps, 512);
    if (nd < 0)
        return err_set(err, ERR_INVALID, "step table: %s has too many dependencies", table[i]->id);
    for (int d = 0; d < nd; d++) {
        long j = find_step(table, n, deps[d]);
        if (j < 0) {
            if (external)
                continue;
            return err_set(err, ERR_INVALID, "step table: %s depends on unknown step %s",
                           table[i]->id, deps[d]);
        }
        if (visit(table, n, (size_t)j, color, external, err) != 0)
            return -1;
    }
    color[i] = 2;
    return 0;
}

int runner_check_table(const step_def *const *table, size_t count, bool external_deps,
                       err_info *err)
{
    for (size_t i = 0; i < count; i++) {
        if (!table[i] || !table[i]->id || !table[i]->name || !table[i]->run)
            return err_set(err, ERR_INVALID, "step table: entry %zu lacks an id, name or function", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(table[i]->id, table[j]->id) == 0)
                return err_set(err, ERR_INVALID, "step table: duplicate step id %s", table[i]->id);
    }
    unsigned char *color = calloc(count ? count : 1, 1);
    if (!color)
        return err_set(err, ERR_NOMEM, "out of memory checking the step table");
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = visit(table, count, i, color, external_deps, err);
    free(color);
    if (rc != 0)
        err_hint(err, "fix the step table (steps/registry.c)");
    return rc;
}

/* ---- lifecycle ---------------------------------------------------------- */

runner *runner_new(const runner_config *cfg, err_info *err)
{
    if (!cfg || !cfg->store || (cfg->count && !cfg->table)) {
        err_set(err, ERR_INVALID, "runner_new: a table and a store are required");
        return NULL;
    }
    if (runner_check_table(cfg->table, cfg->count, cfg->external_deps, err) != 0)
        return NULL;
    runner *r = calloc(1, sizeof *r);
    if (!r) {
        err_set(err, ERR_NOMEM, "out of memory creating the runner");
        return NULL;
    }
    r->cfg = *cfg;
    if (!r->cfg.threads)
        r->cfg.threads = RUNNER_DEFAULT_THREADS;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->st = calloc(cfg->count ? cfg->count : 1, sizeof *r->st);
    r->data = cJSON_CreateObject();
    if (!r->st || !r->data)
        goto nomem;
    for (size_t i = 0; i < cfg->count; i++) {
        step_state *s = &r->st[i];
        s->encountered = cJSON_CreateObject();
        s->marked = cJSON_CreateArray();
        const char *deps[512];
        int nd = step_depends_expand(cfg->table, cfg->count, cfg->table[i], deps, 512);
        s->deps = calloc(nd > 0 ? (size_t)nd : 1, sizeof *s->deps);
        if (!s->encountered || !s->marked || !s->deps)
            goto nomem;
        for (int d = 0; d < nd; d++) {
            long j = find_step(cfg->table, cfg->count, deps[d]);
            if (j >= 0)
                s->deps[s->ndeps++] = (size_t)j;
        }
    }
    return r;
nomem:
    err_set(err, ERR_NOMEM, "out of memory creating the runner");
    runner_free(r);
    return NULL;
}

void runner_free(runner *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->st && i < r->cfg.count; i++) {
        cJSON_Delete(r->st[i].encountered);
        cJSON_Delete(r->st[i].marked);
        free(r->st[i].error);
        free(r->st[i].deps);
    }
    free(r->st);
    cJSON_Delete(r->data);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

/* ---- status names ------------------------------------------------------- */

const char *runner_status_sdk_name(runner_status s)
{
    switch (s) {
    case RUNNER_STEP_SUCCESS: return "success";
    case RUNNER_STEP_FAILURE: return "failure";
    case RUNNER_STEP_DISABLED: return "disabled";
    case RUNNER_STEP_DEPENDENCY_FAILURE: return "partial_success_due_to_dependency_failure";
    default: return "pending_evaluation";
    }
}

const char *runner_status_job_name(runner_status s)
{
    switch (s) {
    case RUNNER_STEP_SUCCESS:
    case RUNNER_STEP_DEPENDENCY_FAILURE: return "success"; /* it ran; its types are partial */
    case RUNNER_STEP_FAILURE: return "failure";
    case RUNNER_STEP_DISABLED:
    case RUNNER_STEP_NOT_RUN: return "skipped";
    case RUNNER_STEP_RUNNING: return "running";
    default: return "pending";
    }
}

runner_status runner_step_status(const runner *r, size_t index)
{
    return index < r->cfg.count ? r->st[index].status : RUNNER_STEP_PENDING;
}

/* ---- progress ----------------------------------------------------------- */

static void info_of(runner *r, size_t i, runner_step_info *out)
{
    step_state *s = &r->st[i];
    *out = (runner_step_info){.def = r->cfg.table[i], .status = s->status,
                              .entities = s->entities, .relationships = s->relationships,
                              .duration_ms = s->end_ms ? s->end_ms - s->start_ms : 0,
                              .error = s->error};
}

/* Called without mu; reads fields that only this thread changes now. */
static void emit(runner *r, size_t i)
{
    if (!r->cfg.callbacks.step_changed)
        return;
    runner_step_info info;
    pthread_mutex_lock(&r->mu);
    info_of(r, i, &info);
    char *error = info.error ? strdup(info.error) : NULL;
    pthread_mutex_unlock(&r->mu);
    info.error = error;
    r->cfg.callbacks.step_changed(r->cfg.callbacks.ctx, &info);
    free(error);
}

/* ---- step_ctx functions ------------------------------------------------- */

const step_def *step_current(const step_ctx *ctx) { return ctx->r->cfg.table[ctx->idx]; }
const void *step_arg(const step_ctx *ctx) { return step_current(ctx)->arg; }
void *step_integration(const step_ctx *ctx) { return ctx->r->cfg.integration; }

bool step_should_stop(const step_ctx *ctx)
{
    runner *r = ctx->r;
    pthread_mutex_lock(&r->mu);
    bool stop = r->fatal || r->stopped;
    pthread_mutex_unlock(&r->mu);
    if (!stop && r->cfg.callbacks.should_stop)
        stop = r->cfg.callbacks.should_stop(r->cfg.callbacks.ctx);
    return stop;
}

static bool type_declared(const step_def *d, const char *type, graph_kind kind)
{
    for (size_t i = 0; i < STEP_MAX_TYPES; i++) {
        if (kind == GRAPH_ENTITIES) {
            if (!d->entities[i].type)
                break;
            if (strcmp(d->entities[i].type, type) == 0)
                return true;
            continue;
        }
        const step_relationship_decl *m = &d->mapped_relationships[i];
        if (m->type && strcmp(m->type, type) == 0)
            return true;
        const step_relationship_decl *r = &d->relationships[i];
        if (!r->type)
            continue;
        if (strcmp(r->type, type) == 0)
            return true;
        if (r->target_type && strcmp(r->target_type, "ANY_SCOPE") == 0 && r->source_type &&
            r->class_name) {
            /* "{source}_{class lower}_" + whatever the scope's type yields */
            size_t sl = strlen(r->source_type), cl = strlen(r->class_name);
            if (strncmp(type, r->source_type, sl) != 0 || type[sl] != '_')
                continue;
            bool ok = true;
            for (size_t c = 0; ok && c < cl; c++)
                ok = type[sl + 1 + c] == (char)tolower((unsigned char)r->class_name[c]);
            if (ok && type[sl + 1 + cl] == '_')
                return true;
        }
    }
    return false;
}

/* The sink failed: the job cannot go on (the first such error is kept). */
static void note_fatal(runner *r, const err_info *err)
{
    pthread_mutex_lock(&r->mu);
    if (!r->fatal) {
        r->fatal = true;
        r->fatal_err = *err;
    }
    pthread_mutex_unlock(&r->mu);
}

/* Counts an added object in its step's totals and encountered types
 * (outside any json_scope: the counts live as long as the job). */
static void count_added(runner *r, size_t idx, graph_kind kind, const char *type)
{
    json_arena *prev = json_arena_enter(NULL);
    pthread_mutex_lock(&r->mu);
    step_state *s = &r->st[idx];
    if (kind == GRAPH_ENTITIES)
        s->entities++;
    else
        s->relationships++;
    cJSON *c = cJSON_GetObjectItemCaseSensitive(s->encountered, type);
    if (c)
        cJSON_SetNumberValue(c, c->valuedouble + 1);
    else
        cJSON_AddNumberToObject(s->encountered, type, 1);
    pthread_mutex_unlock(&r->mu);
    json_arena_leave(prev);
}

/* The object may be built in a json_scope (common/json_arena.h): what
 * the runner and the store allocate while adding it must outlive that
 * scope, so the scope is suspended meanwhile. */
static int ctx_add_kept(step_ctx *ctx, graph_kind kind, cJSON *obj, err_info *err);

static int ctx_add(step_ctx *ctx, graph_kind kind, cJSON *obj, err_info *err)
{
    json_arena *prev = json_arena_enter(NULL);
    int rc = ctx_add_kept(ctx, kind, obj, err);
    json_arena_leave(prev);
    return rc;
}

static int ctx_add_kept(step_ctx *ctx, graph_kind kind, cJSON *obj, err_info *err)
{
    runner *r = ctx->r;
    const step_def *d = step_current(ctx);
    const char *t = json_get_string(obj, "_type");
    if (!t) {
        cJSON_Delete(obj);
        return err_set(err, ERR_INVALID, "step %s added an object without _type", d->id);
    }
    char type[256];
    snprintf(type, sizeof type, "%s", t);
    if (!type_declared(d, type, kind)) {
        cJSON_Delete(obj);
        err_set(err, ERR_INVALID, "step %s added %s of undeclared _type %s", d->id,
                kind == GRAPH_ENTITIES ? "an entity" : "a relationship", type);
        return err_hint(err, "declare the type in the step's table entry");
    }
    if (graph_store_add(r->cfg.store, d->id, kind, obj, err) != 0) {
        if (graph_store_sink_failed(r->cfg.store))
            note_fatal(r, err);
        return -1;
    }
    count_added(r, ctx->idx, kind, type);
    return 0;
}

static int add_text_kept(step_ctx *ctx, const char *key, const char *type, const char *text,
                         size_t len, err_info *err);

int step_add_relationship_text(step_ctx *ctx, const char *key, const char *type, const char *text,
                               size_t len, err_info *err)
{
    json_arena *prev = json_arena_enter(NULL); /* as ctx_add: the sink may run */
    int rc = add_text_kept(ctx, key, type, text, len, err);
    json_arena_leave(prev);
    return rc;
}

static int add_text_kept(step_ctx *ctx, const char *key, const char *type, const char *text,
                         size_t len, err_info *err)
{
    runner *r = ctx->r;
    const step_def *d = step_current(ctx);
    if (graph_rules_check_key_type("relationship", key, type, err) != 0)
        return -1;
    if (!text)
        return err_set(err, ERR_INVALID, "relationship %s: text missing", key);
    if (!type_declared(d, type, GRAPH_RELATIONSHIPS)) {
        err_set(err, ERR_INVALID, "step %s added a relationship of undeclared _type %s", d->id, type);
        return err_hint(err, "declare the type in the step's table entry");
    }
    if (graph_store_add_text(r->cfg.store, d->id, GRAPH_RELATIONSHIPS, key, type, text, len, err) !=
        0) {
        if (graph_store_sink_failed(r->cfg.store))
            note_fatal(r, err);
        return -1;
    }
    count_added(r, ctx->idx, GRAPH_RELATIONSHIPS, type);
    return 0;
}

int step_add_entity(step_ctx *ctx, cJSON *obj, err_info *err)
{
    return ctx_add(ctx, GRAPH_ENTITIES, obj, err);
}

int step_add_relationship(step_ctx *ctx, cJSON *obj, err_info *err)
{
    return ctx_add(ctx, GRAPH_RELATIONSHIPS, obj, err);
}

bool step_has_key(step_ctx *ctx, const char *key) { return graph_store_has_key(ctx->r->cfg.store, key); }

bool step_find_entity(step_ctx *ctx, const char *key, char *key_out, size_t key_size,
                      char *type_out, size_t type_size)
{
    return graph_store_find_entity(ctx->r->cfg.store, key, key_out, key_size, type_out, type_size);
}

cJSON *step_load_entity(step_ctx *ctx, const char *key)
{
    return graph_store_load_entity(ctx->r->cfg.store, key);
}

int step_iterate_entities(step_ctx *ctx, const char *type, step_entity_fn fn, void *arg,
                          err_info *err)
{
    return graph_store_iterate(ctx->r->cfg.store, type, fn, arg, err);
}

int step_iterate_entities_without_raw(step_ctx *ctx, const char *type, step_entity_fn fn,
                                      void *arg, err_info *err)
{
    return graph_store_iterate_without_raw(ctx->r->cfg.store, type, fn, arg, err);
}

int step_data_set(step_ctx *ctx, const char *name, cJSON *value, err_info *err)
{
    runner *r = ctx->r;
    int rc = 0;
    json_arena *prev = json_arena_enter(NULL);
    bool given = value != NULL;
    value = json_arena_detach(value); /* kept until the job ends */
    pthread_mutex_lock(&r->mu);
    if (given && !value)
        rc = err_set(err, ERR_NOMEM, "out of memory setting job data '%s'", name ? name : "?");
    else if (!name || !value)
        rc = err_set(err, ERR_INVALID, "step_data_set: name and value are required");
    else if (cJSON_GetObjectItemCaseSensitive(r->data, name))
        rc = err_set(err, ERR_CONFLICT, "job data '%s' is already set (values are immutable)", name);
    else if (!cJSON_AddItemToObject(r->data, name, value))
        rc = err_set(err, ERR_NOMEM, "out of memory setting job data '%s'", name);
    else
        value = NULL;
    pthread_mutex_unlock(&r->mu);
    cJSON_Delete(value);
    json_arena_leave(prev);
    return rc;
}

const cJSON *step_data_get(step_ctx *ctx, const char *name)
{
    runner *r = ctx->r;
    pthread_mutex_lock(&r->mu);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->data, name);
    pthread_mutex_unlock(&r->mu);
    return v;
}

static bool declares_type(const step_def *d, const char *type)
{
    for (size_t i = 0; i < STEP_MAX_TYPES; i++) {
        if ((d->entities[i].type && strcmp(d->entities[i].type, type) == 0) ||
            (d->relationships[i].type && strcmp(d->relationships[i].type, type) == 0) ||
            (d->mapped_relationships[i].type && strcmp(d->mapped_relationships[i].type, type) == 0))
            return true;
    }
    return false;
}

void step_mark_partial_type(step_ctx *ctx, const char *type)
{
    runner *r = ctx->r;
    const step_def *d = step_current(ctx);
    if (!type || !declares_type(d, type)) {
        log_kv(LOG_WARN, "partial type not declared by the step", "step", d->id, "type",
               type ? type : "", (char *)NULL);
        return;
    }
    json_arena *prev = json_arena_enter(NULL);
    pthread_mutex_lock(&r->mu);
    step_state *s = &r->st[ctx->idx];
    bool have = false;
    const cJSON *e;
    cJSON_ArrayForEach(e, s->marked) have |= strcmp(e->valuestring, type) == 0;
    if (!have)
        cJSON_AddItemToArray(s->marked, cJSON_CreateString(type));
    pthread_mutex_unlock(&r->mu);
    json_arena_leave(prev);
}

/* ---- running ------------------------------------------------------------ */

static bool is_fatal_kind(err_kind k) { return k == ERR_AUTH || k == ERR_CANCELLED; }

static void set_error(step_state *s, const err_info *err)
{
    char buf[900];
    free(s->error);
    s->error = strdup(err_describe(err, buf, sizeof buf));
}

/* Runs step i (mu not held); records the result. Returns the step's rc. */
static int run_step(runner *r, size_t i, err_info *out_err)
{
    step_ctx ctx = {.r = r, .idx = i};
    const step_def *d = r->cfg.table[i];
    err_info err = {0};
    int64_t t0 = timefmt_monotonic_ms();
    int rc = d->run(&ctx, &err);
    err_info ferr = {0};
    int frc = graph_store_flush(r->cfg.store, d->id, &ferr);
    int64_t dur = timefmt_monotonic_ms() - t0;
    pthread_mutex_lock(&r->mu);
    step_state *s = &r->st[i];
    s->end_ms = s->start_ms + (dur > 0 ? dur : 0);
    if (rc == 0 && frc == 0) {
        s->status = s->dep_failed ? RUNNER_STEP_DEPENDENCY_FAILURE : RUNNER_STEP_SUCCESS;
    } else {
        s->status = RUNNER_STEP_FAILURE;
        const err_info *e = rc != 0 ? &err : &ferr;
        set_error(s, e);
        bool sink = frc != 0 || graph_store_sink_failed(r->cfg.store);
        if ((is_fatal_kind(e->kind) || sink) && !r->fatal && !r->stopped) {
            bool stop = e->kind == ERR_CANCELLED && !sink;
            if (stop)
                r->stopped = true;
            else
                r->fatal = true;
            r->fatal_err = *e;
        }
    }
    pthread_mutex_unlock(&r->mu);
    if (out_err && rc != 0)
        *out_err = err;
    else if (out_err && frc != 0)
        *out_err = ferr;
    return rc != 0 ? rc : frc;
}

/* Under mu: settles pending steps whose fate is decided without running.
 * Returns the index of a runnable step or -1; changed[] gets settled ones. */
static long pick(runner *r, size_t *changed, size_t *nchanged)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (size_t i = 0; i < r->cfg.count; i++) {
            step_state *s = &r->st[i];
            if (s->status != RUNNER_STEP_PENDING)
                continue;
            const step_def *d = r->cfg.table[i];
            if (r->cfg.enabled && !r->cfg.enabled(r->cfg.integration, d)) {
                s->status = RUNNER_STEP_DISABLED;
                changed[(*nchanged)++] = i;
                progress = true;
                continue;
            }
            bool waiting = false, disabled = false, failed = false;
            for (size_t k = 0; k < s->ndeps; k++) {
                runner_status ds = r->st[s->deps[k]].status;
                waiting |= ds == RUNNER_STEP_PENDING || ds == RUNNER_STEP_RUNNING;
                disabled |= ds == RUNNER_STEP_DISABLED;
                failed |= ds == RUNNER_STEP_FAILURE || ds == RUNNER_STEP_DEPENDENCY_FAILURE ||
                          ds == RUNNER_STEP_NOT_RUN;
            }
            if (disabled) {
                s->status = RUNNER_STEP_DISABLED;
            } else if (!waiting) {
                /* as the SDK: a step whose dependency failed still runs,
                 * on what the graph holds; it ends partial */
                s->dep_failed = failed;
                return (long)i;
            } else {
                continue;
            }
            changed[(*nchanged)++] = i;
            progress = true;
        }
    }
    return -1;
}

static void *worker(void *arg)
{
    runner *r = arg;
    size_t *changed = calloc(r->cfg.count ? r->cfg.count : 1, sizeof *changed);
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (!r->fatal && !r->stopped && r->cfg.callbacks.should_stop) {
            pthread_mutex_unlock(&r->mu);
            bool stop = r->cfg.callbacks.should_stop(r->cfg.callbacks.ctx);
            pthread_mutex_lock(&r->mu);
            if (stop && !r->fatal && !r->stopped) {
                r->stopped = true;
                err_set(&r->fatal_err, ERR_CANCELLED, "the job was stopped between steps");
            }
        }
        if (r->fatal || r->stopped)
            break;
        size_t n = 0;
        long i = changed ? pick(r, changed, &n) : -1;
        if (i >= 0) {
            /* taken before the lock is released below: another worker
             * must not pick it too while the settled steps are reported */
            r->st[i].status = RUNNER_STEP_RUNNING;
            r->st[i].start_ms = timefmt_now_ms();
            r->running++;
        }
        if (n > 0) {
            pthread_mutex_unlock(&r->mu);
            for (size_t k = 0; k < n; k++)
                emit(r, changed[k]);
            pthread_mutex_lock(&r->mu);
            pthread_cond_broadcast(&r->cv);
        }
        if (i >= 0) {
            pthread_mutex_unlock(&r->mu);
            emit(r, (size_t)i);
            run_step(r, (size_t)i, NULL);
            emit(r, (size_t)i);
            pthread_mutex_lock(&r->mu);
            r->running--;
            pthread_cond_broadcast(&r->cv);
            continue;
        }
        if (n > 0)
            continue;
        if (r->running == 0 || !changed)
            break;
        pthread_cond_wait(&r->cv, &r->mu);
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    free(changed);
    return NULL;
}

static bool has_type(const cJSON *arr, const char *t)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (strcmp(e->valuestring, t) == 0) return true;
    return false;
}

static void add_unique(cJSON *arr, const char *t)
{
    if (!has_type(arr, t))
        cJSON_AddItemToArray(arr, cJSON_CreateString(t));
}

/* Under mu or after the run: the step's declared types / partial types. */
static cJSON *declared_types(const step_def *d)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < STEP_MAX_TYPES && d->entities[i].type; i++)
        add_unique(a, d->entities[i].type);
    for (size_t i = 0; a && i < STEP_MAX_TYPES; i++)
        if (d->relationships[i].type)
            add_unique(a, d->relationships[i].type);
    for (size_t i = 0; a && i < STEP_MAX_TYPES; i++)
        if (d->mapped_relationships[i].type)
            add_unique(a, d->mapped_relationships[i].type);
    return a;
}

static cJSON *partial_of(const step_def *d, const step_state *s)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < STEP_MAX_TYPES && d->entities[i].type; i++)
        if (d->entities[i].partial)
            add_unique(a, d->entities[i].type);
    for (size_t i = 0; a && i < STEP_MAX_TYPES; i++) {
        if (d->relationships[i].type && d->relationships[i].partial)
            add_unique(a, d->relationships[i].type);
        if (d->mapped_relationships[i].type && d->mapped_relationships[i].partial)
            add_unique(a, d->mapped_relationships[i].type);
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, s->marked) add_unique(a, e->valuestring);
    return a;
}

cJSON *runner_partial_types(runner *r)
{
    cJSON *out = cJSON_CreateArray();
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; out && i < r->cfg.count; i++) {
        const step_state *s = &r->st[i];
        const step_def *d = r->cfg.table[i];
        if (s->status == RUNNER_STEP_DISABLED)
            continue;
        cJSON *p = partial_of(d, s);
        const cJSON *e;
        cJSON_ArrayForEach(e, p) add_unique(out, e->valuestring);
        cJSON_Delete(p);
        if (s->status == RUNNER_STEP_FAILURE || s->status == RUNNER_STEP_DEPENDENCY_FAILURE ||
            s->status == RUNNER_STEP_NOT_RUN) {
            cJSON *dt = declared_types(d);
            cJSON_ArrayForEach(e, dt) add_unique(out, e->valuestring);
            cJSON_Delete(dt);
        }
    }
    pthread_mutex_unlock(&r->mu);
    return out;
}

char *runner_summary_json(runner *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *results = cJSON_AddArrayToObject(root, "integrationStepResults");
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; results && i < r->cfg.count; i++) {
        const step_state *s = &r->st[i];
        const step_def *d = r->cfg.table[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(results, o);
        cJSON_AddStringToObject(o, "id", d->id);
        cJSON_AddStringToObject(o, "name", d->name);
        const char *deps[512];
        int nd = step_depends_expand(r->cfg.table, r->cfg.count, d, deps, 512);
        if (nd > 0) {
            cJSON *a = cJSON_AddArrayToObject(o, "dependsOn");
            for (int k = 0; k < nd; k++)
                cJSON_AddItemToArray(a, cJSON_CreateString(deps[k]));
        }
        cJSON_AddItemToObject(o, "declaredTypes", declared_types(d));
        cJSON_AddItemToObject(o, "partialTypes", partial_of(d, s));
        cJSON *enc = cJSON_AddArrayToObject(o, "encounteredTypes");
        const cJSON *e;
        cJSON_ArrayForEach(e, s->encountered) cJSON_AddItemToArray(enc, cJSON_CreateString(e->string));
        cJSON_AddItemToObject(o, "encounteredTypeCounts", cJSON_Duplicate(s->encountered, 1));
        cJSON_AddStringToObject(o, "status", runner_status_sdk_name(s->status));
        if (s->start_ms) {
            cJSON_AddNumberToObject(o, "startTime", (double)s->start_ms);
            cJSON_AddNumberToObject(o, "endTime", (double)s->end_ms);
            cJSON_AddNumberToObject(o, "duration", (double)(s->end_ms - s->start_ms));
        }
    }
    pthread_mutex_unlock(&r->mu);
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON *pd = meta ? cJSON_AddObjectToObject(meta, "partialDatasets") : NULL;
    if (pd)
        cJSON_AddItemToObject(pd, "types", runner_partial_types(r));
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

runner_outcome runner_run(runner *r, err_info *err)
{
    size_t n = r->cfg.count;
    if (r->cfg.callbacks.planned) {
        runner_step_info *infos = calloc(n ? n : 1, sizeof *infos);
        if (infos) {
            for (size_t i = 0; i < n; i++) {
                info_of(r, i, &infos[i]);
                if (r->cfg.enabled && !r->cfg.enabled(r->cfg.integration, r->cfg.table[i]))
                    infos[i].status = RUNNER_STEP_DISABLED;
            }
            r->cfg.callbacks.planned(r->cfg.callbacks.ctx, infos, n);
            free(infos);
        }
    }
    unsigned nt = r->cfg.threads;
    pthread_t *th = calloc(nt, sizeof *th);
    unsigned started = 0;
    for (unsigned t = 0; th && t < nt; t++)
        if (pthread_create(&th[t], NULL, worker, r) == 0)
            started++;
        else
            break;
    if (started == 0)
        worker(r); /* no thread could be created: run inline */
    for (unsigned t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    free(th);
    /* steps left pending by a fatal error / stop */
    for (size_t i = 0; i < n; i++)
        if (r->st[i].status == RUNNER_STEP_PENDING) {
            r->st[i].status = RUNNER_STEP_NOT_RUN;
            emit(r, i);
        }
    const graph_sink *sink = r->cfg.sink;
    if (r->fatal || r->stopped) {
        if (err)
            *err = r->fatal_err;
        if (sink && sink->abort) {
            err_info aerr = {0};
            if (sink->abort(sink->ctx, r->fatal_err.message, &aerr) != 0)
                log_kv(LOG_WARN, "graph sink abort failed", "error", aerr.message, (char *)NULL);
        }
        return r->fatal ? RUNNER_FATAL : RUNNER_STOPPED;
    }
    runner_outcome out = RUNNER_OK;
    for (size_t i = 0; i < n; i++)
        if (r->st[i].status == RUNNER_STEP_FAILURE ||
            r->st[i].status == RUNNER_STEP_DEPENDENCY_FAILURE)
            out = RUNNER_PARTIAL;
    err_info ferr = {0};
    if (graph_store_flush(r->cfg.store, NULL, &ferr) != 0) {
        if (err)
            *err = ferr;
        if (sink && sink->abort)
            sink->abort(sink->ctx, ferr.message, &(err_info){0});
        return RUNNER_FATAL;
    }
    if (sink && sink->finish) {
        cJSON *pt = runner_partial_types(r);
        char *summary = runner_summary_json(r);
        size_t np = (size_t)cJSON_GetArraySize(pt);
        const char **types = calloc(np ? np : 1, sizeof *types);
        int rc = -1;
        if (pt && summary && types) {
            size_t k = 0;
            const cJSON *e;
            cJSON_ArrayForEach(e, pt) types[k++] = e->valuestring;
            rc = sink->finish(sink->ctx, types, np, summary, &ferr);
        } else {
            err_set(&ferr, ERR_NOMEM, "out of memory building the summary");
        }
        free(types);
        free(summary);
        cJSON_Delete(pt);
        if (rc != 0) {
            if (err)
                *err = ferr;
            return RUNNER_FATAL;
        }
    }
    return out;
}

int runner_run_one(runner *r, size_t index, err_info *err)
{
    if (index >= r->cfg.count)
        return err_set(err, ERR_INVALID, "runner_run_one: no step %zu", index);
    pthread_mutex_lock(&r->mu);
    r->st[index].status = RUNNER_STEP_RUNNING;
    r->st[index].start_ms = timefmt_now_ms();
    pthread_mutex_unlock(&r->mu);
    return run_step(r, index, err);
}

int runner_seed(runner *r, const char *step_id, graph_kind kind, cJSON *obj, err_info *err)
{
    return graph_store_add(r->cfg.store, step_id, kind, obj, err);
}

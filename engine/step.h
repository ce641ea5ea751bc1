/*
 * step: the declarative step table and what a running step may do.
 *
 * A step is data: its id and name, the entity / relationship / mapped
 * relationship types it declares, the steps it depends on, when it is
 * enabled, and the function that runs it (plus an optional `arg` for
 * generic runners such as "list this ARM collection and map each item").
 * The runner (engine/runner.h), `document`, job status, partial datasets and
 * tests all read the same table; nothing else lists steps.
 *
 * A running step talks to the job only through its step_ctx: the graph
 * store (add / find / iterate), job-wide data, the integration's per-job
 * state (`step_integration`), and cancellation.  Every function here is
 * thread-safe: independent steps of one job run concurrently.
 */
#ifndef AI_ENGINE_STEP_H
#define AI_ENGINE_STEP_H

#include "common/error.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define STEP_MAX_DEPS 64
#define STEP_MAX_TYPES 32
#define STEP_MAX_CLASSES 4

typedef struct step_entity_decl {
    const char *resource_name;              /* "[RM] Virtual Machine" (document) */
    const char *type;                       /* "azure_vm" */
    const char *classes[STEP_MAX_CLASSES];  /* {"Host"}; NULL-terminated */
    bool partial;                           /* always sent as partial dataset */
} step_entity_decl;

typedef enum step_direction { STEP_FORWARD = 0, STEP_REVERSE } step_direction;

typedef struct step_relationship_decl {
    const char *type;          /* "azure_resource_group_has_vm" */
    const char *class_name;    /* "HAS" (upper case) */
    const char *source_type;   /* "azure_resource_group" or "ANY_SCOPE" */
    const char *target_type;   /* "azure_vm" */
    bool partial;
    step_direction direction;  /* mapped relationships only */
} step_relationship_decl;

/* When a step is enabled, decided from the instance config. */
typedef enum step_enablement {
    STEP_ALWAYS = 0,
    STEP_IF_ACTIVE_DIRECTORY,  /* config.ingestActiveDirectory == true */
    STEP_IF_RESOURCE_MANAGER   /* subscriptions are ingested (see steps/azure_job.h) */
} step_enablement;

typedef struct step_ctx step_ctx;
typedef struct step_def step_def;

typedef int (*step_run_fn)(step_ctx *ctx, err_info *err);

struct step_def {
    const char *id;                     /* "rm-compute-virtual-machines" */
    const char *name;                   /* "Virtual Machines" */
    const char *depends_on[STEP_MAX_DEPS];                      /* NULL-terminated */
    step_entity_decl entities[STEP_MAX_TYPES];                   /* terminated by .type == NULL */
    step_relationship_decl relationships[STEP_MAX_TYPES];        /* terminated by .type == NULL */
    step_relationship_decl mapped_relationships[STEP_MAX_TYPES]; /* terminated by .type == NULL */
    step_enablement enabled_when;
    step_run_fn run;
    const void *arg;                    /* for generic runners; read with step_arg() */
};

/* depends_on marker (added by the governance steps): stands for every step
 * of the table whose id starts with "rm-" and whose own depends_on does not
 * hold the marker — the reference's executeFirstSteps, on which its three
 * "last" steps (rm-policy-assignments, rm-advisor-recommendations,
 * rm-monitor-activity-log-alert-scope-relationships) depend.  They are more
 * than STEP_MAX_DEPS and grow with every service, so they are not listed.
 * Whoever reads depends_on (runner, table check, document, job status)
 * expands it with step_depends_expand(). */
#define STEP_DEPENDS_RM_FIRST "*rm-first-steps"

/* Writes the dependencies of `step` (explicit ids in order, then the
 * marker's expansion in table order, without duplicates) into out[0..cap).
 * Returns the number of ids, or -1 when cap is too small. */
static inline int step_depends_expand(const step_def *const *table, size_t n,
                                      const step_def *step, const char **out, size_t cap)
{
    size_t count = 0;
    int marker = 0;
    for (size_t i = 0; i < STEP_MAX_DEPS && step->depends_on[i]; i++) {
        const char *d = step->depends_on[i];
        if (strcmp(d, STEP_DEPENDS_RM_FIRST) == 0) {
            marker = 1;
            continue;
        }
        if (count == cap)
            return -1;
        out[count++] = d;
    }
    for (size_t t = 0; marker && t < n; t++) {
        const step_def *s = table[t];
        if (s == step || strncmp(s->id, "rm-", 3) != 0)
            continue;
        int last = 0, dup = 0;
        for (size_t i = 0; i < STEP_MAX_DEPS && s->depends_on[i]; i++)
            if (strcmp(s->depends_on[i], STEP_DEPENDS_RM_FIRST) == 0)
                last = 1;
        for (size_t i = 0; i < count; i++)
            if (strcmp(out[i], s->id) == 0)
                dup = 1;
        if (last || dup)
            continue;
        if (count == cap)
            return -1;
        out[count++] = s->id;
    }
    return (int)count;
}

/* ---- Inside a running step ------------------------------------------- */

const step_def *step_current(const step_ctx *ctx);
const void *step_arg(const step_ctx *ctx);

/* The integration's per-job state given to the runner (for Azure steps a
 * `struct azure_job *`, see steps/azure_job.h). */
void *step_integration(const step_ctx *ctx);

/* True once the job is cancelled or the process drains; long steps check it
 * between pages and return err kind ERR_CANCELLED. */
bool step_should_stop(const step_ctx *ctx);

/* Adds an entity / relationship to the job graph.  Takes ownership of `obj`
 * in every case (freed on failure).  The object is validated (entity rules
 * and the data-model schema of each _class; relationship rules); a
 * violation or an undeclared _type is an ERR_INVALID error, a _key already
 * present (compared case-insensitively) is ERR_CONFLICT and is counted as a
 * duplicate.  Steps decide whether such an error fails the step; most log
 * it and go on. */
int step_add_entity(step_ctx *ctx, cJSON *obj, err_info *err);
int step_add_relationship(step_ctx *ctx, cJSON *obj, err_info *err);

/* Adds a relationship written as compact JSON text by the caller (a
 * builder that never makes a cJSON tree, e.g. relationship_add_direct).
 * `key` and `type` are its _key and _type.  Checked here: the type is
 * declared by the step, _key has at least 10 characters and _type at
 * least 3; the caller guarantees the remaining rules (property names,
 * class, endpoints).  Errors as step_add_relationship. */
int step_add_relationship_text(step_ctx *ctx, const char *key, const char *type, const char *text,
                               size_t len, err_info *err);

/* True when an entity or relationship with this _key exists (any case). */
bool step_has_key(step_ctx *ctx, const char *key);

/* Case-insensitive look-up of an entity.  On success copies its stored
 * `_key` and `_type` into the caller's buffers and returns true. */
bool step_find_entity(step_ctx *ctx, const char *key, char *key_out, size_t key_size,
                      char *type_out, size_t type_size);

/* Loads a full entity (a fresh copy the caller frees with cJSON_Delete), or
 * NULL when absent.  May read from disk: use for occasional look-ups. */
cJSON *step_load_entity(step_ctx *ctx, const char *key);

/* Calls fn for each entity of `type` added so far by any step (the object is
 * owned by the iterator and valid only during the call).  Stops and returns
 * -1 when fn returns non-zero. */
typedef int (*step_entity_fn)(void *arg, const cJSON *entity, err_info *err);
int step_iterate_entities(step_ctx *ctx, const char *type, step_entity_fn fn, void *arg,
                          err_info *err);
/* The same without each entity's _rawData (not parsed: much cheaper for
 * large source objects), for steps that read only mapped properties
 * (_key, id, name, type, ...). */
int step_iterate_entities_without_raw(step_ctx *ctx, const char *type, step_entity_fn fn,
                                      void *arg, err_info *err);

/* Job-wide data shared between steps (the SDK's jobState.setData/getData).
 * set takes ownership; the value is immutable once set; get returns a
 * borrowed pointer valid until the job ends, or NULL. */
int step_data_set(step_ctx *ctx, const char *name, cJSON *value, err_info *err);
const cJSON *step_data_get(step_ctx *ctx, const char *name);

/* Adds to the step's partialTypes (e.g. a resource type skipped for one
 * resource).  The type must be declared by the step. */
void step_mark_partial_type(step_ctx *ctx, const char *type);

#endif

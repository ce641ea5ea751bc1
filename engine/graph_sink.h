/*
 * graph_sink: where a job's graph goes as it is collected.
 *
 * The graph store hands finished objects to a sink in chunks while the
 * collection runs (never all at the end): each chunk holds objects of one
 * kind (entities or relationships) and one _type, produced by one step, each
 * already serialized as compact JSON.  Two sinks exist: the SDK on-disk
 * writer (engine/sdk_writer.h, for `collect`) and the JupiterOne
 * synchronization uploader (j1/, for `serve` jobs).
 *
 * The store calls write_chunk from one thread at a time; a sink that does
 * slow I/O (upload) may queue internally but must apply back-pressure
 * (block) rather than buffer without bound.  finish() is called once after
 * every step ended, with the partial dataset types and the summary; abort()
 * instead of finish() when the job fails fatally or is stopped.
 */
#ifndef AI_ENGINE_GRAPH_SINK_H
#define AI_ENGINE_GRAPH_SINK_H

#include "common/error.h"

#include <stddef.h>

typedef enum graph_kind { GRAPH_ENTITIES = 0, GRAPH_RELATIONSHIPS } graph_kind;

typedef struct graph_chunk {
    const char *step_id;
    const char *type;              /* the _type of every object */
    graph_kind kind;
    const char *const *objects;    /* compact JSON text of each object */
    const size_t *lengths;         /* byte length of each */
    size_t count;
    /* The store's buffers behind objects (malloc'd, NUL-terminated), or
     * NULL: a sink that keeps an object beyond write_chunk may take its
     * buffer instead of copying it, by setting take[i] to NULL (it then
     * frees it); the store frees the others afterwards. */
    char **take;
} graph_chunk;

typedef struct graph_sink {
    void *ctx;
    int (*write_chunk)(void *ctx, const graph_chunk *chunk, err_info *err);
    /* partial_types: de-duplicated _types for partialDatasets;
     * summary_json: the SDK summary.json text (compact). */
    int (*finish)(void *ctx, const char *const *partial_types, size_t count,
                  const char *summary_json, err_info *err);
    int (*abort)(void *ctx, const char *reason, err_info *err);
} graph_sink;

#endif

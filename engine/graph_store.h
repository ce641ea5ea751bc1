/*
 * graph_store: one job's graph while it is collected.
 *
 * Every added object is checked (engine/graph_rules.h), serialized once and
 * then lives in three places:
 *   - the key index (memory): hash of the lower-cased _key -> kind, _type,
 *     and for entities the stored _key and the object's place in a spill
 *     file; relationship keys are kept only as a 128-bit hash, which is
 *     what keeps 1M entities + 2M relationships within a few hundred MB;
 *   - a per-_type append-only spill file of entities (one compact JSON per
 *     line) that iterate/load read back with pread, so a tenant never has
 *     to fit in memory;
 *   - a buffer per (step, kind, _type) that is handed to the graph_sink as
 *     a chunk once it holds `chunk_objects` objects or `chunk_bytes` bytes,
 *     and at graph_store_flush() (end of a step).
 * All functions are thread-safe.  The sink is called from one thread at a
 * time (a separate mutex), outside the index lock, so look-ups by other
 * steps are not blocked by a slow upload.
 */
#ifndef AI_ENGINE_GRAPH_STORE_H
#define AI_ENGINE_GRAPH_STORE_H

#include "common/error.h"
#include "engine/graph_sink.h"
#include "engine/step.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRAPH_STORE_CHUNK_OBJECTS 500
#define GRAPH_STORE_CHUNK_BYTES (4u * 1024u * 1024u)

typedef struct graph_store graph_store;

typedef struct graph_store_stats {
    uint64_t entities;
    uint64_t relationships;
    uint64_t duplicates;  /* rejected because the _key existed */
    uint64_t invalid;     /* rejected by the rules */
    uint64_t schema_warnings; /* kept, but not matching a class schema */
    uint64_t chunks;      /* chunks handed to the sink */
} graph_store_stats;

/* sink may be NULL (objects are only indexed and spilled).  spill_dir: a
 * directory for the spill files, NULL for $TMPDIR (default /tmp).  Spill
 * files have no name there (O_TMPFILE, or unlinked at once where the file
 * system lacks it): nothing is left behind, even by a killed process.  Fails
 * (ERR_IO) when no file can be created in that directory. */
graph_store *graph_store_new(const graph_sink *sink, const char *spill_dir, err_info *err);
void graph_store_free(graph_store *s);

/* 0 keeps the default. */
void graph_store_set_chunk_limits(graph_store *s, size_t max_objects, size_t max_bytes);

/* Adds an object produced by step_id; takes ownership of obj.  Errors:
 * ERR_INVALID (rules), ERR_CONFLICT (duplicate _key, counted), or the
 * sink's error (then graph_store_sink_failed() is true: fatal for the job). */
int graph_store_add(graph_store *s, const char *step_id, graph_kind kind, cJSON *obj,
                    err_info *err);

/* Adds an object already serialized (compact JSON, `len` bytes, copied):
 * for builders that write text directly instead of a cJSON tree.  The
 * rules are the caller's to keep (graph_rules.h); duplicates and the sink
 * are handled as by graph_store_add. */
int graph_store_add_text(graph_store *s, const char *step_id, graph_kind kind, const char *key,
                         const char *type, const char *text, size_t len, err_info *err);

bool graph_store_has_key(graph_store *s, const char *key);
bool graph_store_find_entity(graph_store *s, const char *key, char *key_out, size_t key_size,
                             char *type_out, size_t type_size);
cJSON *graph_store_load_entity(graph_store *s, const char *key);
int graph_store_iterate(graph_store *s, const char *type, step_entity_fn fn, void *arg,
                        err_info *err);
/* The same, each entity handed over without its _rawData member (which is
 * scanned past, not parsed): for callers that read only mapped properties. */
int graph_store_iterate_without_raw(graph_store *s, const char *type, step_entity_fn fn,
                                    void *arg, err_info *err);

/* Hands every buffered object of step_id (NULL: of every step) to the sink. */
int graph_store_flush(graph_store *s, const char *step_id, err_info *err);

bool graph_store_sink_failed(graph_store *s);
void graph_store_get_stats(graph_store *s, graph_store_stats *out);

#endif

/*
 * graph_rules: the JupiterOne rules every graph object must satisfy before
 * it is stored (docs/spec/jupiterone.md §4.1-4.4): _key/_type/_class shape,
 * property-name pattern, value shapes, _rawData shape, entity name and
 * displayName, known relationship class.  Pure functions, thread-safe.
 */
#ifndef AI_ENGINE_GRAPH_RULES_H
#define AI_ENGINE_GRAPH_RULES_H

#include "common/error.h"

#include <cjson/cJSON.h>

/* The rules every object's _key and _type follow (_key at least 10
 * characters, _type at least 3); `what` names the object in the message. */
int graph_rules_check_key_type(const char *what, const char *key, const char *type, err_info *err);

/* The _key and _type of an object that passed its check (pointers into
 * the object: valid while it lives). */
typedef struct graph_object_ids {
    const char *key, *type;
} graph_object_ids;

/* 0 when obj follows the rules (ids, when not NULL, then receives its _key
 * and _type); -1 with ERR_INVALID and a message naming the object. */
int graph_rules_check_entity(const cJSON *obj, graph_object_ids *ids, err_info *err);
int graph_rules_check_relationship(const cJSON *obj, graph_object_ids *ids, err_info *err);

#endif

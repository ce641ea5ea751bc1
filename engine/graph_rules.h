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

int graph_rules_check_entity(const cJSON *obj, err_info *err);
int graph_rules_check_relationship(const cJSON *obj, err_info *err);

#endif

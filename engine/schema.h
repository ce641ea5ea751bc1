/*
 * schema: the data-model class schemas (embedded, see schema_data.h) parsed
 * once per process, and the checks the graph store applies to every object.
 *
 * Supported JSON-Schema subset (the keywords the files use for validation):
 * $ref to "#Class", allOf / anyOf / oneOf, properties, required, type
 * (single or list), enum, items, minLength, minimum / maximum, pattern is
 * not evaluated (no POSIX equivalent of the ECMAScript patterns used;
 * documented gap), format is annotation only.  Everything is read-only
 * after the first call, so the functions are thread-safe.
 */
#ifndef AI_ENGINE_SCHEMA_H
#define AI_ENGINE_SCHEMA_H

#include "common/error.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

/* True when `name` is a property of the class schema `cls` (following $ref
 * and combinators, which include Entity / GraphObject). */
bool schema_class_has_property(const char *cls, const char *name);

/* True when the class exists in the data model. */
bool schema_class_known(const char *cls);

/* True when `cls` (upper case) is a relationship class of the data model. */
bool schema_relationship_class_known(const char *cls);

/* Checks `entity` against every class schema of its _class. */
int schema_validate_entity(const cJSON *entity, err_info *err);

#endif

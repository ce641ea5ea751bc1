/*
 * json: small helpers over cJSON used by every layer.
 *
 * Paths are dotted member names ("properties.storageProfile.osDisk.osType");
 * a segment "[n]" or "n" after a dot on an array selects element n
 * ("value.[0].id" or "value.0.id").  Look-ups never allocate and return NULL
 * when any segment is missing or has the wrong type.
 */
#ifndef AI_COMMON_JSON_H
#define AI_COMMON_JSON_H

#include "common/sbuf.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

const cJSON *json_path(const cJSON *root, const char *path);
/* The string at path, or NULL when absent or not a string. */
const char *json_path_string(const cJSON *root, const char *path);
/* Member of an object by exact name (cJSON_GetObjectItemCaseSensitive). */
const cJSON *json_get(const cJSON *obj, const char *name);
const char *json_get_string(const cJSON *obj, const char *name);
/* Several members in one walk over obj: out[i] is the first member named
 * names[i] (the one json_get returns), or NULL.  For hot paths that need a
 * handful of members of the same object: each json_get walks the object
 * from its start.  names must be distinct and non-empty. */
void json_get_many(const cJSON *obj, const char *const *names, size_t n, const cJSON **out);
/* v's text when v is a string, else NULL. */
const char *json_string(const cJSON *v);
/* Returns true and sets *out when the member is a number. */
bool json_get_number(const cJSON *obj, const char *name, double *out);
/* Returns true and sets *out when the member is a boolean. */
bool json_get_bool(const cJSON *obj, const char *name, bool *out);

/* Adds a string member, or nothing when value is NULL.  Returns false on
 * allocation failure. */
bool json_add_string(cJSON *obj, const char *name, const char *value);
/* Replaces (or adds) a member; takes ownership of value. */
bool json_set(cJSON *obj, const char *name, cJSON *value);

/* Serializes compactly; caller frees with free().  NULL on failure. */
char *json_print(const cJSON *item);
/* Appends item serialized compactly, byte for byte as cJSON_PrintUnformatted
 * would print it; a failure (memory, invalid item) leaves out failed. */
void json_write(sbuf *out, const cJSON *item);

/* Appends s as a JSON string exactly as json_write prints a string value
 * (NULL as ""), for builders that write objects as text. */
void json_write_string(sbuf *out, const char *s);

/* Parses text of given length (need not be NUL-terminated). */
cJSON *json_parse_len(const char *text, size_t len);

/* Like json_parse_len for a JSON object, leaving out its top-level member
 * `skip` (each one of that name) without building its tree: its text is
 * only scanned, which costs a fraction of parsing it (e.g. an entity
 * without its _rawData).  Text that is not an object, or that the scan
 * cannot follow, is parsed whole; invalid JSON gives NULL as
 * json_parse_len does. */
cJSON *json_parse_len_without(const char *text, size_t len, const char *skip);

/* Installs cJSON's allocation hooks (malloc, or the thread's json_arena
 * scope: common/json_arena.h).  Call at process start, before threads use
 * cJSON; idempotent and thread-safe. */
void json_init(void);

#endif

/*
 * graph_rules: see graph_rules.h.  The property-name pattern
 * ^(_|tag\.)?[A-Za-z0-9. -]+$ is checked by hand (no regex engine needed).
 * The data-model class schemas are checked separately (schema.h): the
 * graph store treats their violations as warnings, see graph_store.c.
 */
#include "engine/graph_rules.h"

#include "common/json.h"
#include "engine/schema.h"

#include <string.h>

static bool name_ok(const char *n)
{
    if (n[0] == '_')
        n++;
    else if (strncmp(n, "tag.", 4) == 0)
        n += 4;
    if (!*n)
        return false;
    for (; *n; n++) {
        char c = *n;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == ' ' || c == '-'))
            return false;
    }
    return true;
}

static bool primitive(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v);
}

/* The members the rules read, found in one walk (json_get_many): entities
 * end with _key, _type and _class, so a look-up by name for each walked
 * the whole object every time. */
enum { M_KEY, M_TYPE, M_CLASS, M_NAME, M_DISPLAY, M_FROM, M_TO, M_MAPPING, M_COUNT };
static const char *const member_names[M_COUNT] = {
    "_key", "_type", "_class", "name", "displayName", "_fromEntityKey", "_toEntityKey", "_mapping"};

static int check_common(const cJSON *obj, const char *what, const cJSON **m,
                        graph_object_ids *ids, err_info *err)
{
    if (!cJSON_IsObject(obj))
        return err_set(err, ERR_INVALID, "%s is not a JSON object", what);
    json_get_many(obj, member_names, M_COUNT, m);
    if (graph_rules_check_key_type(what, json_string(m[M_KEY]), json_string(m[M_TYPE]), err) != 0)
        return -1;
    if (ids) {
        ids->key = m[M_KEY]->valuestring;
        ids->type = m[M_TYPE]->valuestring;
    }
    return 0;
}

int graph_rules_check_key_type(const char *what, const char *key, const char *type, err_info *err)
{
    if (!key || strlen(key) < 10) {
        err_set(err, ERR_INVALID, "%s _key '%s' is missing or shorter than 10 characters", what,
                key ? key : "");
        return err_hint(err, "JupiterOne requires _key strings of at least 10 characters");
    }
    if (!type || strlen(type) < 3)
        return err_set(err, ERR_INVALID, "%s %s: _type missing or shorter than 3 characters", what, key);
    return 0;
}

static int check_rawdata(const cJSON *raw, const char *key, err_info *err)
{
    if (!cJSON_IsArray(raw))
        return err_set(err, ERR_INVALID, "entity %s: _rawData is not an array", key);
    const cJSON *e, *f;
    cJSON_ArrayForEach(e, raw)
    {
        const char *name = json_get_string(e, "name");
        const cJSON *data = json_get(e, "rawData");
        if (!name || !(cJSON_IsObject(data) || cJSON_IsString(data)))
            return err_set(err, ERR_INVALID,
                           "entity %s: _rawData entries need a name and an object or string rawData",
                           key);
        for (f = raw->child; f != e; f = f->next)
            if (strcmp(json_get_string(f, "name"), name) == 0)
                return err_set(err, ERR_INVALID, "entity %s: duplicate _rawData name '%s'", key, name);
    }
    return 0;
}

int graph_rules_check_entity(const cJSON *obj, graph_object_ids *ids, err_info *err)
{
    const cJSON *m[M_COUNT];
    if (check_common(obj, "entity", m, ids, err) != 0)
        return -1;
    const char *key = m[M_KEY]->valuestring;
    if (!cJSON_IsArray(m[M_CLASS]) || !m[M_CLASS]->child)
        return err_set(err, ERR_INVALID, "entity %s: _class must be a non-empty array", key);
    const cJSON *p;
    cJSON_ArrayForEach(p, obj)
    {
        const char *n = p->string;
        if (!name_ok(n)) {
            err_set(err, ERR_INVALID, "entity %s: property name '%s' is not allowed", key, n);
            return err_hint(err, "names must match ^(_|tag\\.)?[A-Za-z0-9. -]+$");
        }
        if (n[0] == '_') {
            if (strcmp(n, "_rawData") == 0) {
                if (check_rawdata(p, key, err) != 0)
                    return -1;
                continue;
            }
            if (p == m[M_CLASS])
                continue;
        }
        bool ok = primitive(p) || cJSON_IsNull(p);
        if (cJSON_IsArray(p) && strncmp(p->string, "tag.", 4) != 0) {
            ok = true;
            const cJSON *e;
            cJSON_ArrayForEach(e, p) ok &= primitive(e);
        }
        if (!ok)
            return err_set(err, ERR_INVALID,
                           "entity %s: property '%s' must be a primitive or an array of primitives",
                           key, p->string);
    }
    if (!cJSON_IsString(m[M_NAME]) || !cJSON_IsString(m[M_DISPLAY])) {
        err_set(err, ERR_INVALID, "entity %s: name and displayName are required strings", key);
        return err_hint(err, "map a name (displayName defaults to it)");
    }
    return 0;
}

int graph_rules_check_relationship(const cJSON *obj, graph_object_ids *ids, err_info *err)
{
    const cJSON *m[M_COUNT];
    if (check_common(obj, "relationship", m, ids, err) != 0)
        return -1;
    const char *key = m[M_KEY]->valuestring;
    const char *cls = json_string(m[M_CLASS]);
    if (!schema_relationship_class_known(cls)) {
        err_set(err, ERR_INVALID, "relationship %s: _class '%s' is not a relationship class", key,
                cls ? cls : "");
        return err_hint(err, "use an upper-case class of data-model/relationship-classes.txt");
    }
    const cJSON *mapping = m[M_MAPPING];
    if (mapping) {
        if (!json_get_string(mapping, "sourceEntityKey") ||
            !cJSON_IsObject(json_get(mapping, "targetEntity")))
            return err_set(err, ERR_INVALID,
                           "relationship %s: _mapping needs sourceEntityKey and targetEntity", key);
    } else if (!json_string(m[M_FROM]) || !json_string(m[M_TO])) {
        return err_set(err, ERR_INVALID, "relationship %s: _fromEntityKey and _toEntityKey are required",
                       key);
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, obj)
    {
        if (!name_ok(p->string))
            return err_set(err, ERR_INVALID, "relationship %s: property name '%s' is not allowed", key,
                           p->string);
        if (p != mapping && !primitive(p) && !cJSON_IsNull(p))
            return err_set(err, ERR_INVALID, "relationship %s: property '%s' must be a primitive", key,
                           p->string);
    }
    return 0;
}

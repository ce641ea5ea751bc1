/*
 * entity_map: see entity_map.h for the build order (it mirrors the SDK's
 * createIntegrationEntity).  Design notes:
 * - the "SDK object" is built once per item and becomes _rawData, so the
 *   copy made for hoisting is not duplicated again;
 * - schema pass-through asks engine/schema.c, whose property sets are
 *   computed once per process from the embedded data model;
 * - every allocation is checked; on failure the partial entity is freed and
 *   ERR_NOMEM returned, so a step never adds half an entity.
 */
#include "engine/entity_map.h"

#include "common/hash.h"
#include "common/json.h"
#include "common/timefmt.h"
#include "engine/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_primitive(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v);
}

/* SDK rule: copied when primitive, or an array whose first element is. */
static bool is_copyable(const cJSON *v)
{
    return is_primitive(v) || (cJSON_IsArray(v) && is_primitive(cJSON_GetArrayItem(v, 0)));
}

/* ---- camelCase (lodash words + camel join) ------------------------------- */

size_t entity_map_camel_case_into(const char *key, char *out, size_t size)
{
    /* the camel-cased key is never longer than the key */
    size_t len = strlen(key);
    if (len >= size)
        return (size_t)-1;
    size_t n = 0, words = 0;
    const unsigned char *p = (const unsigned char *)key;
    while (*p) {
        while (*p && !isalnum(*p))
            p++;
        if (!*p)
            break;
        const unsigned char *start = p;
        if (isupper(*p)) {
            p++;
            if (isupper(*p)) { /* acronym: "HTTPServer" -> "HTTP", "Server" */
                while (isupper(*p) && !(p[1] && islower(p[1])))
                    p++;
            } else {
                while (islower(*p))
                    p++;
            }
        } else if (islower(*p)) {
            while (islower(*p))
                p++;
        }
        while (isdigit(*p))
            p++;
        for (const unsigned char *c = start; c < p; c++)
            out[n++] = (char)(words > 0 && c == start ? toupper(*c) : tolower(*c));
        words++;
    }
    out[n] = 0;
    return n;
}

char *entity_map_camel_case(const char *key)
{
    size_t size = strlen(key) + 1;
    char *out = malloc(size);
    if (out)
        entity_map_camel_case_into(key, out, size);
    return out;
}

/* ---- the names an object being built has -------------------------------- */

/* A Bloom filter (256 bits, two per name) of the member names added to an
 * object while it is built: a name it has not seen is appended without
 * json_set's scan of every member (a linear strcmp walk, which made
 * building an entity quadratic in its property count).  Only names added
 * through set_member are recorded, so it may answer "maybe" for a
 * name the object no longer has (a deleted member), never "no" for one it
 * has: callers add to the object only through it while it is in use. */
typedef struct name_filter {
    uint64_t bits[4];
} name_filter;

static uint64_t name_hash(const char *name)
{
    return hash_fnv1a(HASH_FNV1A_INIT, name);
}

static bool filter_may_have(const name_filter *f, uint64_t h)
{
    unsigned a = (unsigned)(h & 255), b = (unsigned)((h >> 8) & 255);
    return (f->bits[a >> 6] >> (a & 63) & 1) && (f->bits[b >> 6] >> (b & 63) & 1);
}

static void filter_add(name_filter *f, uint64_t h)
{
    unsigned a = (unsigned)(h & 255), b = (unsigned)((h >> 8) & 255);
    f->bits[a >> 6] |= 1ull << (a & 63);
    f->bits[b >> 6] |= 1ull << (b & 63);
}

/* json_set (replace or append) with the filter's shortcut. */
static bool set_member(cJSON *obj, name_filter *f, const char *name, cJSON *value)
{
    if (!value)
        return false;
    uint64_t h = name_hash(name);
    if (filter_may_have(f, h))
        return json_set(obj, name, value);
    filter_add(f, h);
    return cJSON_AddItemToObject(obj, name, value);
}

/* ---- SDK object ----------------------------------------------------------- */

cJSON *entity_map_sdk_object(const cJSON *item, const char *const *renames)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    name_filter names = {{0}};
    const cJSON *m;
    cJSON_ArrayForEach(m, item)
    {
        if (strcmp(m->string, "properties") == 0 && cJSON_IsObject(m))
            continue;
        cJSON *d = cJSON_Duplicate(m, 1);
        /* json_set: an object may repeat a name, the last one wins */
        if (!d || !set_member(o, &names, m->string, d)) {
            cJSON_Delete(d);
            goto fail;
        }
    }
    const cJSON *props = json_get(item, "properties");
    if (cJSON_IsObject(props)) {
        cJSON_ArrayForEach(m, props)
        {
            const char *name = m->string;
            for (size_t i = 0; renames && renames[i] && renames[i + 1]; i += 2)
                if (strcmp(renames[i], name) == 0)
                    name = renames[i + 1];
            cJSON *d = cJSON_Duplicate(m, 1);
            if (!d || !set_member(o, &names, name, d))
                goto fail;
        }
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

/* ---- tags ---------------------------------------------------------------- */

/* SDK parseStringPropertyValue: "true"/"false" -> bool, ^\d+$ -> integer,
 * ^\d+\.\d+$ -> float, else the string. */
static cJSON *parse_tag_value(const char *v)
{
    if (strcasecmp(v, "true") == 0)
        return cJSON_CreateTrue();
    if (strcasecmp(v, "false") == 0)
        return cJSON_CreateFalse();
    const char *p = v;
    size_t digits = 0, frac = 0;
    bool dot = false;
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (dot)
                frac++;
            else
                digits++;
        } else if (*p == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (!*p && digits > 0 && (!dot || frac > 0))
        return cJSON_CreateNumber(strtod(v, NULL));
    return cJSON_CreateString(v);
}

/* entity[prop] = v lower-cased. */
static int set_lowered(cJSON *entity, const char *prop, const char *v, err_info *err)
{
    cJSON *low = cJSON_CreateString(v);
    if (!low || !low->valuestring) {
        cJSON_Delete(low);
        return err_set(err, ERR_NOMEM, "out of memory assigning tags");
    }
    for (char *c = low->valuestring; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!json_set(entity, prop, low))
        return err_set(err, ERR_NOMEM, "out of memory assigning tags");
    return 0;
}

/* SDK assignTags for one tag; `props` (NULL-ended, may be NULL) are the
 * spec's tagProperties, lowered like the SDK's common tag properties. */
static int assign_one_tag(cJSON *entity, const char *k, const char *v,
                          const char *const *props, err_info *err)
{
    if (!k || !v || !*v)
        return 0;
    size_t kl = strlen(k);
    char *name = malloc(kl + 5);
    if (!name)
        return err_set(err, ERR_NOMEM, "out of memory assigning tags");
    memcpy(name, "tag.", 4);
    memcpy(name + 4, k, kl + 1);
    cJSON *val = parse_tag_value(v);
    bool ok = val && json_set(entity, name, val);
    free(name);
    if (!ok)
        return err_set(err, ERR_NOMEM, "out of memory assigning tags");
    if (strcasecmp(v, "true") == 0) {
        cJSON *tags = cJSON_GetObjectItemCaseSensitive(entity, "tags");
        if (!cJSON_IsArray(tags)) {
            cJSON_DeleteItemFromObjectCaseSensitive(entity, "tags");
            tags = cJSON_AddArrayToObject(entity, "tags");
        }
        if (!tags || !cJSON_AddItemToArray(tags, cJSON_CreateString(k)))
            return err_set(err, ERR_NOMEM, "out of memory assigning tags");
    }
    if (strcasecmp(k, "name") == 0) {
        if (!json_set(entity, "displayName", cJSON_CreateString(v)))
            return err_set(err, ERR_NOMEM, "out of memory assigning tags");
        if (!cJSON_GetObjectItemCaseSensitive(entity, "name") &&
            !json_set(entity, "name", cJSON_CreateString(v)))
            return err_set(err, ERR_NOMEM, "out of memory assigning tags");
    }
    static const char *const common[] = {"classification", "owner", "email", NULL};
    const char *const *lists[] = {common, props};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            if (strcasecmp(k, lists[l][i]) == 0 && set_lowered(entity, lists[l][i], v, err) != 0)
                return -1;
        }
    }
    return 0;
}

int entity_map_assign_tags(cJSON *entity, const cJSON *tags, const char *const *tag_properties,
                           err_info *err)
{
    if (!tags || cJSON_IsNull(tags))
        return 0;
    if (cJSON_IsArray(tags)) {
        const cJSON *first = cJSON_GetArrayItem(tags, 0);
        if (cJSON_IsString(first)) {
            cJSON *d = cJSON_Duplicate(tags, 1);
            if (!d || !json_set(entity, "tags", d))
                return err_set(err, ERR_NOMEM, "out of memory assigning tags");
            return 0;
        }
        const cJSON *t;
        cJSON_ArrayForEach(t, tags)
        {
            const char *k = json_get_string(t, "key");
            const char *v = json_get_string(t, "value");
            if (!k)
                k = json_get_string(t, "Key");
            if (!v)
                v = json_get_string(t, "Value");
            if (assign_one_tag(entity, k, v, tag_properties, err) != 0)
                return -1;
        }
        return 0;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        if (cJSON_IsString(t) &&
            assign_one_tag(entity, t->string, t->valuestring, tag_properties, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- rows ---------------------------------------------------------------- */

static bool time_named(const char *k)
{
    /* ^\w+((T|_t)ime|(O|_o)n|(A|_a)t|(D|_d)ate)$ */
    static const char *const suffix[] = {"Time", "_time", "On", "_on", "At", "_at", "Date", "_date"};
    size_t n = strlen(k);
    for (const char *c = k; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            return false;
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        size_t l = strlen(suffix[i]);
        if (n > l && strcmp(k + n - l, suffix[i]) == 0)
            return true;
    }
    return false;
}

static cJSON *time_ms(const cJSON *v)
{
    int64_t ms;
    if (cJSON_IsString(v) && timefmt_parse_iso8601_ms(v->valuestring, &ms))
        return cJSON_CreateNumber((double)ms);
    return NULL;
}

/* *out = converted value or NULL (absent).  Returns -1 on error. */
static int convert_row(const prop_map *r, const cJSON *v, const cJSON *item, const map_ctx *mctx,
                       cJSON **out, err_info *err)
{
    *out = NULL;
    switch (r->conv) {
    case MAP_STRING:
        *out = cJSON_IsString(v) ? cJSON_Duplicate(v, 0) : NULL;
        break;
    case MAP_NUMBER:
        *out = cJSON_IsNumber(v) ? cJSON_Duplicate(v, 0) : NULL;
        break;
    case MAP_BOOL:
        *out = cJSON_IsBool(v) ? cJSON_Duplicate(v, 0) : NULL;
        break;
    case MAP_ANY:
        *out = is_primitive(v) ? cJSON_Duplicate(v, 0) : NULL;
        break;
    case MAP_TIME_MS:
        *out = time_ms(v);
        break;
    case MAP_ARRAY:
        if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
            const cJSON *e;
            cJSON_ArrayForEach(e, v) if (!is_primitive(e) && !cJSON_IsNull(e)) return 0;
            *out = cJSON_Duplicate(v, 1);
        }
        break;
    case MAP_LOWER:
        if (cJSON_IsString(v)) {
            char *s = strdup(v->valuestring);
            if (!s)
                return err_set(err, ERR_NOMEM, "out of memory mapping %s", r->property);
            for (char *p = s; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            *out = cJSON_CreateString(s);
            free(s);
        }
        break;
    case MAP_NONEMPTY:
        *out = cJSON_CreateBool((cJSON_IsString(v) && v->valuestring[0]) ||
                                (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) || cJSON_IsTrue(v));
        break;
    case MAP_PRESENT:
        *out = cJSON_CreateBool(v && !cJSON_IsNull(v));
        break;
    case MAP_EQUALS:
        *out = cJSON_CreateBool(cJSON_IsString(v) && r->arg && strcmp(v->valuestring, r->arg) == 0);
        break;
    case MAP_CONST_STRING:
        *out = r->arg ? cJSON_CreateString(r->arg) : NULL;
        break;
    case MAP_CONST_BOOL:
        *out = cJSON_CreateBool(r->arg && strcmp(r->arg, "true") == 0);
        break;
    case MAP_CONST_STRING_ARRAY: {
        cJSON *a = cJSON_CreateArray();
        if (!a)
            break;
        const char *s = r->arg ? r->arg : "";
        while (r->arg) {
            const char *comma = strchr(s, ',');
            size_t l = comma ? (size_t)(comma - s) : strlen(s);
            char *part = strndup(s, l);
            cJSON *str = part ? cJSON_CreateString(part) : NULL;
            free(part);
            if (!str || !cJSON_AddItemToArray(a, str)) {
                cJSON_Delete(str);
                cJSON_Delete(a);
                return err_set(err, ERR_NOMEM, "out of memory mapping %s", r->property);
            }
            if (!comma)
                break;
            s = comma + 1;
        }
        *out = a;
        break;
    }
    case MAP_JSON_STRING:
        if (v) {
            char *text = json_print(v);
            if (!text)
                return err_set(err, ERR_NOMEM, "out of memory mapping %s", r->property);
            *out = cJSON_CreateString(text);
            free(text);
        }
        break;
    case MAP_FN:
        if (!r->fn)
            return err_set(err, ERR_INTERNAL, "row %s: MAP_FN without a function", r->property);
        if (r->fn(v, item, mctx, out, err) != 0) {
            cJSON_Delete(*out);
            *out = NULL;
            return -1;
        }
        break;
    default:
        return err_set(err, ERR_INTERNAL, "row %s: unknown conversion %d", r->property, (int)r->conv);
    }
    return 0;
}

/* SDK active inference: /(?<!in)active|enabled|online/i -> true,
 * /inactive|disabled|offline/i -> false. */
static cJSON *infer_active(const char *status)
{
    size_t n = strlen(status);
    char *low = malloc(n + 1);
    if (!low)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)status[i]);
    bool yes = strstr(low, "enabled") || strstr(low, "online");
    for (const char *p = low; !yes && (p = strstr(p, "active")); p++)
        if (p - low < 2 || strncmp(p - 2, "in", 2) != 0)
            yes = true;
    bool no = strstr(low, "inactive") || strstr(low, "disabled") || strstr(low, "offline");
    free(low);
    if (yes)
        return cJSON_CreateTrue();
    if (no)
        return cJSON_CreateFalse();
    return NULL;
}

static int schema_passthrough(const entity_spec *spec, const cJSON *src, cJSON *e,
                              name_filter *names, err_info *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, src)
    {
        if (!is_copyable(m))
            continue;
        bool known = false;
        for (size_t i = 0; !known && i < STEP_MAX_CLASSES && spec->classes[i]; i++)
            known = schema_class_has_property(spec->classes[i], m->string);
        if (known) {
            cJSON *d = cJSON_Duplicate(m, 1);
            if (!d || !set_member(e, names, m->string, d))
                return err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
        }
    }
    return 0;
}

static int convert_properties(const entity_spec *spec, const cJSON *src, cJSON *e,
                              name_filter *names, err_info *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, src)
    {
        cJSON *v = NULL;
        if (cJSON_IsString(m) && (spec->flags & ENTITY_PARSE_TIME) && time_named(m->string)) {
            v = time_ms(m);
            if (!v)
                v = cJSON_Duplicate(m, 0);
        } else if (is_primitive(m)) {
            v = cJSON_Duplicate(m, 0);
        } else if (cJSON_IsArray(m)) {
            const cJSON *first = cJSON_GetArrayItem(m, 0);
            if (!first || cJSON_IsNull(first) || cJSON_IsObject(first) || cJSON_IsArray(first))
                continue;
            v = cJSON_CreateArray();
            const cJSON *x;
            cJSON_ArrayForEach(x, m)
            {
                cJSON *c = is_primitive(x) ? cJSON_Duplicate(x, 0) : cJSON_CreateNull();
                if (!v || !c || !cJSON_AddItemToArray(v, c)) {
                    cJSON_Delete(c);
                    cJSON_Delete(v);
                    return err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
                }
            }
        } else {
            continue;
        }
        char small[256];
        char *ck = small;
        if (entity_map_camel_case_into(m->string, small, sizeof small) == (size_t)-1)
            ck = entity_map_camel_case(m->string);
        bool ok = v && ck && set_member(e, names, ck, v);
        if (ck != small)
            free(ck);
        if (!ok) {
            if (!ck)
                cJSON_Delete(v); /* not handed over */
            return err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
        }
    }
    return 0;
}

int entity_map_build(const entity_spec *spec, const cJSON *item, const map_ctx *mctx, cJSON **out,
                     err_info *err)
{
    *out = NULL;
    if (!spec || !spec->type || !cJSON_IsObject(item))
        return err_set(err, ERR_INVALID, "entity_map_build: missing spec or item is not an object");
    cJSON *src = (spec->flags & ENTITY_HOIST_PROPERTIES)
                     ? entity_map_sdk_object(item, spec->hoist_renames)
                     : cJSON_Duplicate(item, 1);
    cJSON *e = cJSON_CreateObject();
    if (!src || !e) {
        err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
        goto fail;
    }
    /* Members are added through `names` until the rows are done; from
     * the tags on, json_set. */
    name_filter names = {{0}};
    if ((spec->flags & ENTITY_CONVERT_PROPERTIES) &&
        convert_properties(spec, src, e, &names, err) != 0)
        goto fail;
    if ((spec->flags & ENTITY_SCHEMA_PASSTHROUGH) &&
        schema_passthrough(spec, src, e, &names, err) != 0)
        goto fail;
    bool display_name_assigned = false;
    for (const prop_map *r = spec->props; r && r->property; r++) {
        const cJSON *v = r->path ? json_path(item, r->path) : NULL;
        cJSON *o = NULL;
        if (convert_row(r, v, item, mctx, &o, err) != 0) {
            err_prefix(err, "%s.%s", spec->type, r->property);
            goto fail;
        }
        if (!o && cJSON_IsNull(v) && (r->flags & MAPF_NULL))
            o = cJSON_CreateNull();
        if (o) {
            if (!set_member(e, &names, r->property, o)) {
                err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
                goto fail;
            }
            display_name_assigned |= strcmp(r->property, "displayName") == 0;
        } else if (!(r->flags & MAPF_KEEP_EXISTING)) {
            cJSON_DeleteItemFromObjectCaseSensitive(e, r->property);
        }
    }
    if (spec->flags & ENTITY_SCHEMA_PASSTHROUGH) {
        if (!cJSON_GetObjectItemCaseSensitive(e, "createdOn")) {
            static const char *const created[] = {"createdAt", "creationDate", "creationTime",
                                                  "creationTimestamp"};
            for (size_t i = 0; i < 4; i++) {
                const cJSON *c = json_get(src, created[i]);
                if (!c)
                    continue;
                cJSON *ms = time_ms(c);
                if (ms && !json_set(e, "createdOn", ms)) {
                    err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
                    goto fail;
                }
                break;
            }
        }
        const char *status = json_get_string(src, "status");
        if (!cJSON_GetObjectItemCaseSensitive(e, "active") && status && *status) {
            cJSON *a = infer_active(status);
            if (a && !json_set(e, "active", a)) {
                err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
                goto fail;
            }
        }
    }
    if (spec->flags & ENTITY_TAGS) {
        cJSON_DeleteItemFromObjectCaseSensitive(e, "tags");
        if (entity_map_assign_tags(e, json_get(src, "tags"), spec->tag_properties, err) != 0)
            goto fail;
    }
    if (mctx && mctx->account_name_tag &&
        !json_set(e, "tag.AccountName", cJSON_CreateString(mctx->account_name_tag))) {
        err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
        goto fail;
    }
    const char *dn = json_get_string(e, "displayName");
    const char *nm = json_get_string(e, "name");
    if (!display_name_assigned && (!dn || !*dn) && nm &&
        !json_set(e, "displayName", cJSON_CreateString(nm))) {
        err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
        goto fail;
    }
    if (spec->fixup && spec->fixup(item, e, mctx, err) != 0)
        goto fail;
    const char *key_path = spec->key_path ? spec->key_path : "id";
    const cJSON *key = json_path(item, key_path);
    if (cJSON_IsNumber(key)) {
        char num[64];
        snprintf(num, sizeof num, "%.17g", key->valuedouble);
        if (!json_set(e, "_key", cJSON_CreateString(num)))
            goto nomem;
    } else if (cJSON_IsString(key)) {
        if (!json_set(e, "_key", cJSON_CreateString(key->valuestring)))
            goto nomem;
    } else {
        err_set(err, ERR_INVALID, "%s: the item has no usable _key at '%s'", spec->type, key_path);
        err_hint(err, "Azure returned an item without an id; check the recording or API version");
        goto fail;
    }
    if (!json_set(e, "_type", cJSON_CreateString(spec->type)))
        goto nomem;
    cJSON *cls = cJSON_CreateArray();
    if (!cls || !json_set(e, "_class", cls))
        goto nomem;
    for (size_t i = 0; i < STEP_MAX_CLASSES && spec->classes[i]; i++)
        if (!cJSON_AddItemToArray(cls, cJSON_CreateString(spec->classes[i])))
            goto nomem;
    if (!(spec->flags & ENTITY_NO_RAW_DATA)) {
        cJSON *raw = cJSON_CreateArray();
        if (!raw || !json_set(e, "_rawData", raw))
            goto nomem;
        if (cJSON_GetArraySize(src) > 0) {
            cJSON *d = cJSON_CreateObject();
            if (!d || !cJSON_AddItemToArray(raw, d) || !cJSON_AddStringToObject(d, "name", "default") ||
                !cJSON_AddItemToObject(d, "rawData", src))
                goto nomem;
            src = NULL;
        }
    }
    cJSON_Delete(src);
    *out = e;
    return 0;
nomem:
    err_set(err, ERR_NOMEM, "out of memory building %s", spec->type);
fail:
    cJSON_Delete(src);
    cJSON_Delete(e);
    return -1;
}

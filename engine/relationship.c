/*
 * relationship: see relationship.h.  Keys and types are assembled with
 * sbuf-free heap strings sized exactly, so Azure ids of any length work;
 * every allocation is checked and NULL is returned on failure.
 */
#include "engine/relationship.h"

#include "common/json.h"
#include "engine/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds member `name` (a string literal: cJSON keeps the pointer instead of
 * a copy, one allocation less per member of the hundreds of thousands of
 * relationships a tenant has) with a copy of value. */
static bool add_str(cJSON *obj, const char *name, const char *value)
{
    cJSON *v = cJSON_CreateString(value);
    if (!v || !cJSON_AddItemToObjectCS(obj, name, v)) {
        cJSON_Delete(v);
        return false;
    }
    return true;
}

/* Adds item under the literal name; frees item when that fails. */
static cJSON *add_item(cJSON *obj, const char *name, cJSON *item)
{
    if (!item || !cJSON_AddItemToObjectCS(obj, name, item)) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

static char *lower_dup(const char *s)
{
    char *o = strdup(s ? s : "");
    if (o)
        for (char *p = o; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return o;
}

/* The n-th '_'-separated part of s: start pointer and length. */
static size_t part_count(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == '_';
    return n;
}

static const char *part_at(const char *s, size_t idx, size_t *len)
{
    while (idx > 0 && *s) {
        if (*s++ == '_')
            idx--;
    }
    const char *end = strchr(s, '_');
    *len = end ? (size_t)(end - s) : strlen(s);
    return s;
}

char *relationship_generate_type(const char *class_name, const char *from_type, const char *to_type)
{
    if (!class_name || !from_type || !to_type)
        return NULL;
    size_t nf = part_count(from_type), nt = part_count(to_type);
    size_t keep = 0; /* leading parts of to_type to drop */
    while (keep + 1 < nt && keep < nf) {
        size_t lf, lt;
        const char *f = part_at(from_type, keep, &lf);
        const char *t = part_at(to_type, keep, &lt);
        if (lf != lt || strncmp(f, t, lf) != 0)
            break;
        keep++;
    }
    size_t tl;
    const char *rest = part_at(to_type, keep, &tl);
    char *cls = lower_dup(class_name);
    if (!cls)
        return NULL;
    size_t size = strlen(from_type) + strlen(cls) + strlen(rest) + 3;
    char *out = malloc(size);
    if (out)
        snprintf(out, size, "%s_%s_%s", from_type, cls, rest);
    free(cls);
    return out;
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t size = strlen(a) + strlen(b) + strlen(c) + 3;
    char *o = malloc(size);
    if (o)
        snprintf(o, size, "%s|%s|%s", a, b, c);
    return o;
}

cJSON *relationship_direct(const char *class_name, const char *from_key, const char *from_type,
                           const char *to_key, const char *to_type, const char *type,
                           const char *key)
{
    if (!class_name || !from_key || !to_key || (!type && (!from_type || !to_type)))
        return NULL;
    char *cls = lower_dup(class_name);
    char *k = cls && !key ? join3(from_key, cls, to_key) : NULL;
    char *gen = type ? NULL : relationship_generate_type(class_name, from_type, to_type);
    cJSON *r = cJSON_CreateObject();
    bool ok = r && cls && (key || k) && (type || gen) &&
              add_str(r, "_key", key ? key : k) && add_str(r, "_type", type ? type : gen) &&
              add_str(r, "_class", class_name) && add_str(r, "_fromEntityKey", from_key) &&
              add_str(r, "_toEntityKey", to_key) && add_str(r, "displayName", class_name);
    free(cls);
    free(k);
    free(gen);
    if (!ok) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

int relationship_write_direct(sbuf *out, sbuf *key_out, sbuf *type_out, const char *class_name,
                              const char *from_key, const char *from_type, const char *to_key,
                              const char *to_type, const char *type, const char *key)
{
    sbuf_reset(out);
    sbuf_reset(key_out);
    sbuf_reset(type_out);
    if (!class_name || !from_key || !to_key || (!type && (!from_type || !to_type)) ||
        !schema_relationship_class_known(class_name))
        return -1;
    if (key) {
        sbuf_puts(key_out, key);
    } else {
        sbuf_puts(key_out, from_key);
        sbuf_putc(key_out, '|');
        for (const char *c = class_name; *c; c++)
            sbuf_putc(key_out, (char)tolower((unsigned char)*c));
        sbuf_putc(key_out, '|');
        sbuf_puts(key_out, to_key);
    }
    if (type) {
        sbuf_puts(type_out, type);
    } else {
        char *gen = relationship_generate_type(class_name, from_type, to_type);
        if (!gen)
            return -1;
        sbuf_puts(type_out, gen);
        free(gen);
    }
    sbuf_puts(out, "{\"_key\":");
    json_write_string(out, sbuf_str(key_out));
    sbuf_puts(out, ",\"_type\":");
    json_write_string(out, sbuf_str(type_out));
    sbuf_puts(out, ",\"_class\":");
    json_write_string(out, class_name);
    sbuf_puts(out, ",\"_fromEntityKey\":");
    json_write_string(out, from_key);
    sbuf_puts(out, ",\"_toEntityKey\":");
    json_write_string(out, to_key);
    sbuf_puts(out, ",\"displayName\":");
    json_write_string(out, class_name);
    sbuf_putc(out, '}');
    return sbuf_failed(out) || sbuf_failed(key_out) || sbuf_failed(type_out) ? -1 : 0;
}

int relationship_add_direct(step_ctx *ctx, const char *class_name, const char *from_key,
                            const char *from_type, const char *to_key, const char *to_type,
                            const char *type, const char *key, err_info *err)
{
    sbuf *text = sbuf_scratch(SBUF_SLOT_REL_TEXT), *k = sbuf_scratch(SBUF_SLOT_REL_KEY),
         *t = sbuf_scratch(SBUF_SLOT_REL_TYPE);
    if (!text || !k || !t)
        return err_set(err, ERR_NOMEM, "out of memory building a relationship");
    if (relationship_write_direct(text, k, t, class_name, from_key, from_type, to_key, to_type,
                                  type, key) != 0) {
        bool nomem = sbuf_failed(text) || sbuf_failed(k) || sbuf_failed(t);
        sbuf_free(text); /* clears a failed state */
        sbuf_free(k);
        sbuf_free(t);
        if (nomem)
            return err_set(err, ERR_NOMEM, "out of memory building a relationship");
        return err_set(err, ERR_INVALID,
                       "relationship %s -> %s: missing endpoint or type, or '%s' is not a "
                       "relationship class",
                       from_key ? from_key : "?", to_key ? to_key : "?", class_name ? class_name : "");
    }
    return step_add_relationship_text(ctx, sbuf_str(k), sbuf_str(t), sbuf_str(text), text->len,
                                      err);
}

static char *mapped_key(const char *source_key, const char *cls, const cJSON *target,
                        const char *const *filter)
{
    const char *tk = json_get_string(target, "_key");
    if (tk)
        return join3(source_key, cls, tk);
    /* "{source}|{class}|FORWARD:k=v:k=v" (the SDK writes FORWARD here) */
    size_t size = strlen(source_key) + strlen(cls) + 16;
    for (size_t i = 0; filter[i]; i++) {
        const cJSON *v = json_get(target, filter[i]);
        size += strlen(filter[i]) + 3 + (cJSON_IsString(v) ? strlen(v->valuestring) : 32);
    }
    char *o = malloc(size);
    if (!o)
        return NULL;
    int n = snprintf(o, size, "%s|%s|FORWARD", source_key, cls);
    for (size_t i = 0; filter[i]; i++) {
        const cJSON *v = json_get(target, filter[i]);
        if (cJSON_IsString(v))
            n += snprintf(o + n, size - (size_t)n, ":%s=%s", filter[i], v->valuestring);
        else if (cJSON_IsNumber(v))
            n += snprintf(o + n, size - (size_t)n, ":%s=%.17g", filter[i], v->valuedouble);
        else if (cJSON_IsBool(v))
            n += snprintf(o + n, size - (size_t)n, ":%s=%s", filter[i],
                          cJSON_IsTrue(v) ? "true" : "false");
        else
            n += snprintf(o + n, size - (size_t)n, ":%s=undefined", filter[i]);
    }
    return o;
}

cJSON *relationship_mapped(const char *class_name, const char *type, const char *source_key,
                           step_direction direction, cJSON *target_entity,
                           const char *const *target_filter_keys, int skip_target_creation,
                           const char *key)
{
    static const char *const default_filter[] = {"_type", "_key", NULL};
    const char *const *filter = target_filter_keys ? target_filter_keys : default_filter;
    if (!class_name || !source_key || !cJSON_IsObject(target_entity)) {
        cJSON_Delete(target_entity);
        return NULL;
    }
    char *cls = lower_dup(class_name);
    char *k = cls && !key ? mapped_key(source_key, cls, target_entity, filter) : NULL;
    char *gen = NULL;
    if (!type) {
        const char *tt = json_get_string(target_entity, "_type");
        gen = relationship_generate_type(class_name, "mapping_source", tt ? tt : "unknown");
    }
    cJSON *r = cJSON_CreateObject();
    cJSON *m = NULL, *keys = NULL, *inner = NULL;
    bool ok = r && cls && (key || k) && (type || gen) &&
              add_str(r, "_class", class_name) && add_str(r, "_type", type ? type : gen) &&
              add_str(r, "_key", key ? key : k) && add_str(r, "displayName", class_name) &&
              (m = add_item(r, "_mapping", cJSON_CreateObject())) &&
              add_str(m, "relationshipDirection", direction == STEP_REVERSE ? "REVERSE" : "FORWARD") &&
              add_str(m, "sourceEntityKey", source_key) &&
              (keys = add_item(m, "targetFilterKeys", cJSON_CreateArray())) &&
              (inner = cJSON_CreateArray()) && cJSON_AddItemToArray(keys, inner);
    for (size_t i = 0; ok && filter[i]; i++) {
        cJSON *f = cJSON_CreateString(filter[i]);
        ok = f && cJSON_AddItemToArray(inner, f);
        if (!ok)
            cJSON_Delete(f);
    }
    if (ok) {
        ok = cJSON_AddItemToObjectCS(m, "targetEntity", target_entity);
        target_entity = NULL;
    }
    if (ok && skip_target_creation >= 0)
        ok = add_item(m, "skipTargetCreation", cJSON_CreateBool(skip_target_creation != 0)) != NULL;
    free(cls);
    free(k);
    free(gen);
    cJSON_Delete(target_entity);
    if (!ok) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

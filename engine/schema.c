/*
 * schema: see schema.h.  The embedded schema texts are parsed once
 * (pthread_once) into a table sorted like schema_data_classes; each class
 * also gets a precomputed set of property names (an object used as a set)
 * for the builder's schema pass-through.  Validation walks the schema tree
 * recursively; $ref depth is bounded so a malformed file cannot loop.
 */
#include "engine/schema.h"

#include "common/json.h"
#include "common/name_set.h"
#include "engine/schema_data.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_MAX_DEPTH 32

typedef struct schema_class {
    const char *name;
    cJSON *doc;    /* parsed schema, NULL when the text did not parse */
    cJSON *props;  /* set of property names (built while loading) */
    /* the same names as a hash set (strings owned by props): the builder
     * asks it once per source property of every entity */
    name_set names;
} schema_class;

static schema_class *g_classes;
static size_t g_count;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static const schema_class *search_class(const char *name)
{
    size_t lo = 0, hi = g_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(g_classes[mid].name, name);
        if (c == 0)
            return &g_classes[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Callers ask about the same class name (a step table's string) for every
 * property of every entity: the thread's last answer is checked with one
 * strcmp instead of a binary search of a few strcmps. */
static const schema_class *find_class(const char *name)
{
    static _Thread_local const schema_class *last;
    if (last && strcmp(last->name, name) == 0)
        return last;
    const schema_class *c = search_class(name);
    if (c)
        last = c;
    return c;
}

static const cJSON *resolve_ref(const cJSON *schema)
{
    const char *ref = json_get_string(schema, "$ref");
    if (!ref || ref[0] != '#')
        return NULL;
    const schema_class *c = find_class(ref + 1);
    return c ? c->doc : NULL;
}

static void collect_props(const cJSON *schema, cJSON *set, int depth)
{
    if (!cJSON_IsObject(schema) || depth > SCHEMA_MAX_DEPTH)
        return;
    const cJSON *target = resolve_ref(schema);
    if (target)
        collect_props(target, set, depth + 1);
    const cJSON *p;
    cJSON_ArrayForEach(p, json_get(schema, "properties"))
    {
        if (!cJSON_GetObjectItemCaseSensitive(set, p->string))
            cJSON_AddItemToObject(set, p->string, cJSON_CreateTrue());
    }
    static const char *const combos[] = {"allOf", "anyOf", "oneOf"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(schema, combos[i]))
            collect_props(e, set, depth + 1);
    }
}

static void index_props(schema_class *c);

static void load(void)
{
    size_t n = 0;
    while (schema_data_classes[n].name)
        n++;
    g_classes = calloc(n ? n : 1, sizeof *g_classes);
    if (!g_classes)
        return;
    g_count = n;
    /* the generator sorts by file name == class name; keep strcmp order */
    for (size_t i = 0; i < n; i++) {
        g_classes[i].name = schema_data_classes[i].name;
        g_classes[i].doc = cJSON_Parse(schema_data_classes[i].json);
    }
    for (size_t i = 1; i < n; i++) {
        schema_class t = g_classes[i];
        size_t j = i;
        while (j > 0 && strcmp(g_classes[j - 1].name, t.name) > 0) {
            g_classes[j] = g_classes[j - 1];
            j--;
        }
        g_classes[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        g_classes[i].props = cJSON_CreateObject();
        if (g_classes[i].props) {
            collect_props(g_classes[i].doc, g_classes[i].props, 0);
            index_props(&g_classes[i]);
        }
    }
}

/* Builds c->names from c->props; on allocation failure the class keeps
 * no set and has_property falls back to the object. */
static void index_props(schema_class *c)
{
    if (name_set_init(&c->names, (size_t)cJSON_GetArraySize(c->props)) != 0)
        return;
    const cJSON *p;
    cJSON_ArrayForEach(p, c->props)
        name_set_add(&c->names, p->string);
}

static void init(void) { pthread_once(&g_once, load); }

bool schema_class_known(const char *cls)
{
    init();
    return cls && find_class(cls) != NULL;
}

bool schema_class_has_property(const char *cls, const char *name)
{
    init();
    const schema_class *c = cls && name ? find_class(cls) : NULL;
    if (!c || !c->props)
        return false;
    if (!c->names.slots)
        return cJSON_GetObjectItemCaseSensitive(c->props, name) != NULL;
    return name_set_has(&c->names, name);
}

/* The relationship classes as a hash set of names, built once: every
 * relationship's _class is checked against it. */
static char *g_rel_text;  /* the names, NUL-separated; the set borrows them */
static name_set g_rel_names;
static pthread_once_t g_rel_once = PTHREAD_ONCE_INIT;

static void load_relationship_classes(void)
{
    g_rel_text = strdup(schema_data_relationship_classes);
    if (!g_rel_text)
        return;
    size_t n = 0, len = strlen(g_rel_text);
    for (size_t i = 0; i < len; i++) {
        bool space = g_rel_text[i] == ' ' || g_rel_text[i] == '\n' || g_rel_text[i] == '\r' ||
                     g_rel_text[i] == '\t';
        if (space)
            g_rel_text[i] = '\0';
        else if (i == 0 || g_rel_text[i - 1] == '\0')
            n++;
    }
    if (name_set_init(&g_rel_names, n) != 0)
        return;
    const char *end = g_rel_text + len;
    for (const char *t = g_rel_text; t < end; t += strlen(t) + 1)
        if (*t)
            name_set_add(&g_rel_names, t);
}

bool schema_relationship_class_known(const char *cls)
{
    if (!cls || !*cls)
        return false;
    pthread_once(&g_rel_once, load_relationship_classes);
    return name_set_has(&g_rel_names, cls);
}

/* ---- validation --------------------------------------------------------- */

static bool type_matches(const cJSON *v, const char *t)
{
    if (strcmp(t, "string") == 0)
        return cJSON_IsString(v);
    if (strcmp(t, "number") == 0)
        return cJSON_IsNumber(v);
    if (strcmp(t, "integer") == 0)
        return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble);
    if (strcmp(t, "boolean") == 0)
        return cJSON_IsBool(v);
    if (strcmp(t, "null") == 0)
        return cJSON_IsNull(v);
    if (strcmp(t, "array") == 0)
        return cJSON_IsArray(v);
    if (strcmp(t, "object") == 0)
        return cJSON_IsObject(v);
    return true;
}

/* Returns NULL when `v` satisfies `schema`, else a static description of
 * the first failing keyword; *where receives the property name. */
static const char *check(const cJSON *v, const cJSON *schema, const char **where, int depth)
{
    if (!cJSON_IsObject(schema) || depth > SCHEMA_MAX_DEPTH)
        return NULL;
    const cJSON *target = resolve_ref(schema);
    const char *why;
    if (target && (why = check(v, target, where, depth + 1)))
        return why;
    const cJSON *type = json_get(schema, "type");
    if (cJSON_IsString(type) && !type_matches(v, type->valuestring))
        return "has the wrong type";
    if (cJSON_IsArray(type)) {
        bool ok = false;
        const cJSON *t;
        cJSON_ArrayForEach(t, type) ok |= cJSON_IsString(t) && type_matches(v, t->valuestring);
        if (!ok)
            return "has the wrong type";
    }
    const cJSON *en = json_get(schema, "enum");
    if (cJSON_IsArray(en)) {
        bool ok = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, en) ok |= cJSON_Compare(e, v, 1);
        if (!ok)
            return "is not one of the allowed values";
    }
    double num;
    if (cJSON_IsNumber(v) && json_get_number(schema, "minimum", &num) && v->valuedouble < num)
        return "is below the minimum";
    if (cJSON_IsNumber(v) && json_get_number(schema, "maximum", &num) && v->valuedouble > num)
        return "is above the maximum";
    if (cJSON_IsString(v) && json_get_number(schema, "minLength", &num) &&
        (double)strlen(v->valuestring) < num)
        return "is shorter than the minimum length";
    const cJSON *items = json_get(schema, "items");
    if (cJSON_IsArray(v) && cJSON_IsObject(items)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) if ((why = check(e, items, where, depth + 1))) return why;
    }
    if (cJSON_IsObject(v)) {
        const cJSON *req;
        cJSON_ArrayForEach(req, json_get(schema, "required"))
        {
            if (cJSON_IsString(req) && !cJSON_GetObjectItemCaseSensitive(v, req->valuestring)) {
                *where = req->valuestring;
                return "is required";
            }
        }
        const cJSON *p;
        cJSON_ArrayForEach(p, json_get(schema, "properties"))
        {
            const cJSON *pv = cJSON_GetObjectItemCaseSensitive(v, p->string);
            if (pv && (why = check(pv, p, where, depth + 1))) {
                *where = p->string;
                return why;
            }
        }
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, json_get(schema, "allOf")) if ((why = check(v, e, where, depth + 1))) return why;
    static const char *const alts[] = {"anyOf", "oneOf"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(schema, alts[i]);
        if (!cJSON_IsArray(list))
            continue;
        int matched = 0;
        const char *first = NULL;
        cJSON_ArrayForEach(e, list)
        {
            const char *w = NULL;
            const char *r = check(v, e, &w, depth + 1);
            if (!r)
                matched++;
            else if (!first)
                first = r;
        }
        if (matched == 0)
            return first ? first : "matches none of the allowed forms";
    }
    return NULL;
}

int schema_validate_entity(const cJSON *entity, err_info *err)
{
    init();
    const cJSON *classes = json_get(entity, "_class");
    const cJSON *c;
    cJSON_ArrayForEach(c, classes)
    {
        if (!cJSON_IsString(c))
            return err_set(err, ERR_INVALID, "_class holds a value that is not a string");
        const schema_class *sc = find_class(c->valuestring);
        if (!sc || !sc->doc) {
            err_set(err, ERR_INVALID, "unknown entity class %s", c->valuestring);
            return err_hint(err, "use a class of data-model/class_schemas");
        }
        const char *where = "";
        const char *why = check(entity, sc->doc, &where, 0);
        if (why) {
            err_set(err, ERR_INVALID, "property '%s' %s for class %s", where, why, c->valuestring);
            return err_hint(err, "fix the step's mapping so the entity matches the %s schema",
                            c->valuestring);
        }
    }
    return 0;
}

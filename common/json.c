/*
 * json: see json.h.
 */
#include "common/json.h"

#include "common/json_arena.h"
#include "common/sbuf.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *step_into(const cJSON *node, const char *seg, size_t len)
{
    if (!node || len == 0)
        return NULL;
    if (cJSON_IsArray(node)) {
        const char *p = seg;
        size_t n = len;
        if (p[0] == '[' && p[n - 1] == ']') {
            p++;
            n -= 2;
        }
        if (n == 0 || n > 9)
            return NULL;
        int index = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)p[i]))
                return NULL;
            index = index * 10 + (p[i] - '0');
        }
        return cJSON_GetArrayItem(node, index);
    }
    if (!cJSON_IsObject(node))
        return NULL;
    for (const cJSON *child = node->child; child; child = child->next) {
        if (child->string && strlen(child->string) == len && memcmp(child->string, seg, len) == 0)
            return child;
    }
    return NULL;
}

const cJSON *json_path(const cJSON *root, const char *path)
{
    if (!root || !path)
        return NULL;
    const cJSON *node = root;
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        node = step_into(node, p, len);
        if (!node)
            return NULL;
        if (!dot)
            break;
        p = dot + 1;
    }
    return node;
}

const char *json_path_string(const cJSON *root, const char *path)
{
    const cJSON *n = json_path(root, path);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

const cJSON *json_get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

const char *json_get_string(const cJSON *obj, const char *name)
{
    const cJSON *n = json_get(obj, name);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

void json_get_many(const cJSON *obj, const char *const *names, size_t n, const cJSON **out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    size_t found = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, obj)
    {
        const char *m = p->string;
        if (!m)
            continue;
        for (size_t i = 0; i < n; i++)
            if (!out[i] && names[i][0] == m[0] && strcmp(names[i], m) == 0) {
                out[i] = p;
                if (++found == n)
                    return;
                break;
            }
    }
}

const char *json_string(const cJSON *v)
{
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool json_get_number(const cJSON *obj, const char *name, double *out)
{
    const cJSON *n = json_get(obj, name);
    if (!cJSON_IsNumber(n))
        return false;
    *out = n->valuedouble;
    return true;
}

bool json_get_bool(const cJSON *obj, const char *name, bool *out)
{
    const cJSON *n = json_get(obj, name);
    if (!cJSON_IsBool(n))
        return false;
    *out = cJSON_IsTrue(n);
    return true;
}

bool json_add_string(cJSON *obj, const char *name, const char *value)
{
    if (!value)
        return true;
    return cJSON_AddStringToObject(obj, name, value) != NULL;
}

bool json_set(cJSON *obj, const char *name, cJSON *value)
{
    if (!value)
        return false;
    if (cJSON_GetObjectItemCaseSensitive(obj, name))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, name, value);
    return cJSON_AddItemToObject(obj, name, value);
}

char *json_print(const cJSON *item)
{
    sbuf b = SBUF_INIT;
    json_write(&b, item);
    if (sbuf_failed(&b)) {
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

cJSON *json_parse_len(const char *text, size_t len)
{
    return cJSON_ParseWithLength(text, len);
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at a '"': just past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* p at a value: just past it, or NULL when the text ends first.  Strings
 * and nesting are followed; the rest is left to the parser. */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
               *p != '\t' && *p != '\r')
            p++;
        return p;
    }
    size_t depth = 0;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            if (!(p = skip_string(p, end)))
                return NULL;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

cJSON *json_parse_len_without(const char *text, size_t len, const char *skip)
{
    const char *end = text + len, *p = skip_ws(text, end);
    size_t skip_len = strlen(skip);
    if (p >= end || *p != '{')
        return json_parse_len(text, len);
    /* Copy the object's members but `skip`'s; found = whether any was left out. */
    sbuf *out = sbuf_scratch(SBUF_SLOT_JSON_WITHOUT);
    if (!out)
        return json_parse_len(text, len);
    sbuf_reset(out);
    sbuf_putc(out, '{');
    bool found = false, first = true;
    p = skip_ws(p + 1, end);
    while (p < end && *p != '}') {
        const char *member = p;
        if (*p != '"')
            return json_parse_len(text, len);
        const char *name_end = skip_string(p, end);
        if (!name_end)
            return json_parse_len(text, len);
        bool is_skip =
            (size_t)(name_end - p) == skip_len + 2 && memcmp(p + 1, skip, skip_len) == 0;
        p = skip_ws(name_end, end);
        if (p >= end || *p != ':')
            return json_parse_len(text, len);
        const char *value_end = skip_value(skip_ws(p + 1, end), end);
        if (!value_end)
            return json_parse_len(text, len);
        if (is_skip) {
            found = true;
        } else {
            if (!first)
                sbuf_putc(out, ',');
            sbuf_append(out, member, (size_t)(value_end - member));
            first = false;
        }
        p = skip_ws(value_end, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
        else if (p >= end || *p != '}')
            return json_parse_len(text, len);
    }
    if (p >= end || !found)
        return json_parse_len(text, len);
    sbuf_putc(out, '}');
    /* whatever follows the object is the parser's to judge, as before */
    sbuf_append(out, p + 1, (size_t)(end - p - 1));
    if (sbuf_failed(out)) {
        sbuf_free(out); /* clears the failure for the next use */
        return json_parse_len(text, len);
    }
    return json_parse_len(out->data, out->len);
}

static void install_hooks(void)
{
    /* Nodes come from the thread's json_arena scope when one is entered,
     * else from malloc; frees of arena memory are no-ops. */
    static cJSON_Hooks hooks = {json_arena_hook_malloc, json_arena_hook_free};
    cJSON_InitHooks(&hooks);
}

void json_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_hooks);
}

/* ---- compact serializer ------------------------------------------------- */

/* Byte-for-byte the output of cJSON_PrintUnformatted (cJSON 1.7), without
 * its per-call buffer growth, strlen passes and, for integral numbers,
 * its sprintf/sscanf round trip: the graph store serializes every object
 * of a job through it. */

/* Bytes that end a plain run: control characters (NUL too), '"', '\\'. */
static const unsigned char g_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ['"'] = 1, ['\\'] = 1};

static void write_string(sbuf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        sbuf_append(out, "\"\"", 2);
        return;
    }
    /* most strings need no escape: one reservation and one copy */
    size_t plain = 0;
    while (!g_stop[(unsigned char)s[plain]])
        plain++;
    if (s[plain] == '\0') {
        if (!sbuf_reserve(out, plain + 2))
            return;
        char *w = out->data + out->len;
        w[0] = '"';
        memcpy(w + 1, s, plain);
        w[plain + 1] = '"';
        out->len += plain + 2;
        out->data[out->len] = '\0';
        return;
    }
    sbuf_putc(out, '"');
    const char *run = s;
    for (;; s++) {
        unsigned char c = (unsigned char)*s;
        if (!g_stop[c])
            continue;
        if (s > run)
            sbuf_append(out, run, (size_t)(s - run));
        if (c == '\0')
            break;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        sbuf_append(out, esc, n);
        run = s + 1;
    }
    sbuf_putc(out, '"');
}

void json_write_string(sbuf *out, const char *s) { write_string(out, s); }

static void write_number(sbuf *out, double d)
{
    char buf[32];
    int n;
    if (d * 0 != 0) {
        sbuf_append(out, "null", 4);
        return;
    }
    if (d == 0) {
        /* "%1.15g" of a zero */
        if (signbit(d))
            sbuf_append(out, "-0", 2);
        else
            sbuf_putc(out, '0');
        return;
    }
    if (fabs(d) < 1e15 && d == (double)(int64_t)d) {
        /* integral with at most 15 digits: "%1.15g" prints its digits */
        int64_t v = (int64_t)d;
        uint64_t u = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
        char *p = buf + sizeof buf;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            *--p = '-';
        sbuf_append(out, p, (size_t)(buf + sizeof buf - p));
        return;
    }
    n = snprintf(buf, sizeof buf, "%1.15g", d);
    double back = strtod(buf, NULL);
    double max = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
    if (!(fabs(back - d) <= max * DBL_EPSILON))
        n = snprintf(buf, sizeof buf, "%1.17g", d);
    /* cJSON prints with the C locale's '.'; so does this process (it never
     * calls setlocale), but keep the guarantee local */
    for (int i = 0; i < n; i++)
        if (buf[i] == ',')
            buf[i] = '.';
    sbuf_append(out, buf, (size_t)n);
}

void json_write(sbuf *out, const cJSON *item)
{
    if (!item) {
        sbuf_append(out, "null", 4);
        return;
    }
    switch (item->type & 0xFF) {
    case cJSON_False:
        sbuf_append(out, "false", 5);
        return;
    case cJSON_True:
        sbuf_append(out, "true", 4);
        return;
    case cJSON_NULL:
        sbuf_append(out, "null", 4);
        return;
    case cJSON_Number:
        write_number(out, item->valuedouble);
        return;
    case cJSON_String:
        write_string(out, item->valuestring);
        return;
    case cJSON_Raw:
        if (item->valuestring)
            sbuf_puts(out, item->valuestring);
        else
            out->failed = true; /* as cJSON_Print */
        return;
    case cJSON_Array: {
        sbuf_putc(out, '[');
        for (const cJSON *c = item->child; c; c = c->next) {
            json_write(out, c);
            if (c->next)
                sbuf_putc(out, ',');
        }
        sbuf_putc(out, ']');
        return;
    }
    case cJSON_Object: {
        sbuf_putc(out, '{');
        for (const cJSON *c = item->child; c; c = c->next) {
            write_string(out, c->string);
            sbuf_putc(out, ':');
            json_write(out, c);
            if (c->next)
                sbuf_putc(out, ',');
        }
        sbuf_putc(out, '}');
        return;
    }
    default:
        out->failed = true; /* cJSON_Invalid: cJSON_Print fails too */
        return;
    }
}

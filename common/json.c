/*
 * json: see json.h.
 */
#include "common/json.h"

#include <ctype.h>
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
    return cJSON_PrintUnformatted(item);
}

cJSON *json_parse_len(const char *text, size_t len)
{
    return cJSON_ParseWithLength(text, len);
}

void json_init(void)
{
    static cJSON_Hooks hooks = {malloc, free};
    cJSON_InitHooks(&hooks);
}

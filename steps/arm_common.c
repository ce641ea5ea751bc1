/*
 * arm_common: see arm_common.h.
 */
#include "steps/arm_common.h"

#include "common/log.h"
#include "steps/gov_common.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int arm_map_weblink(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                    err_info *err)
{
    return gov_weblink(value, item, mctx, out, err);
}

int arm_map_region(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                   err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    if (!cJSON_IsString(value))
        return 0;
    const char *s = value->valuestring;
    char *r = malloc(strlen(s) + 1);
    if (!r)
        return err_set(err, ERR_NOMEM, "out of memory mapping a region");
    /* The reference's normalizeLocation: lower-case, then remove the FIRST
     * run of white space only (`replace(/\s+/, '')`): "West Central US" ->
     * "westcentral us".  Kept so that region values equal graph-azure's. */
    size_t n = 0;
    bool removed = false;
    while (*s) {
        if (!removed && isspace((unsigned char)*s)) {
            while (*s && isspace((unsigned char)*s))
                s++;
            removed = true;
            continue;
        }
        r[n++] = (char)tolower((unsigned char)*s++);
    }
    r[n] = '\0';
    *out = cJSON_CreateString(r);
    free(r);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping a region");
}

/* Locates "/subscriptions/{sub}/resource[Gg]roups/{group}" (the reference's
 * RESOURCE_GROUP_MATCHER, unanchored).  Sets the segments' starts/lengths. */
static int find_group(const char *id, const char **sub, size_t *sub_len, const char **group,
                      size_t *group_len)
{
    if (!id)
        return -1;
    for (const char *p = strstr(id, "/subscriptions/"); p; p = strstr(p + 1, "/subscriptions/")) {
        const char *s = p + strlen("/subscriptions/");
        size_t sl = strcspn(s, "/");
        if (sl == 0)
            continue;
        const char *r = s + sl;
        if (strncmp(r, "/resourceGroups/", 16) != 0 && strncmp(r, "/resourcegroups/", 16) != 0)
            continue;
        const char *g = r + 16;
        size_t gl = strcspn(g, "/");
        if (gl == 0)
            continue;
        *sub = s;
        *sub_len = sl;
        *group = g;
        *group_len = gl;
        return 0;
    }
    return -1;
}

int arm_resource_group_id(const char *resource_id, char *out, size_t size)
{
    const char *sub, *group;
    size_t sl, gl;
    if (find_group(resource_id, &sub, &sl, &group, &gl) != 0)
        return -1;
    int n = snprintf(out, size, "/subscriptions/%.*s/resourceGroups/%.*s", (int)sl, sub, (int)gl,
                     group);
    if (n < 0 || (size_t)n >= size)
        return -1;
    for (char *c = out + n - gl; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return 0;
}

int arm_resource_group_name(const char *resource_id, char *out, size_t size)
{
    const char *sub, *group;
    size_t sl, gl;
    if (find_group(resource_id, &sub, &sl, &group, &gl) != 0 || gl >= size)
        return -1;
    for (size_t i = 0; i < gl; i++)
        out[i] = (char)tolower((unsigned char)group[i]);
    out[gl] = '\0';
    return 0;
}

int arm_subscription_of(const char *resource_id, char *out, size_t size)
{
    if (!resource_id)
        return -1;
    const char *p = strstr(resource_id, "subscriptions/");
    if (!p)
        return -1;
    p += strlen("subscriptions/");
    size_t n = strcspn(p, "/");
    if (n == 0 || n >= size)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

int arm_map_resource_group(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                           cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    char name[512];
    if (!cJSON_IsString(value) || arm_resource_group_name(value->valuestring, name, sizeof name))
        return 0;
    *out = cJSON_CreateString(name);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping a resource group");
}

const char *const arm_tag_properties[] = {"environment", NULL};

int arm_relate_resource_group(step_ctx *ctx, const char *entity_key, const char *entity_type,
                              err_info *err)
{
    char group_id[1024];
    if (arm_resource_group_id(entity_key, group_id, sizeof group_id) != 0) {
        log_kv(LOG_WARN, "could not identify a resource group in an entity key",
               "code", "UNMATCHED_RESOURCE_GROUP", "key", entity_key, NULL);
        return 0;
    }
    gov_found group;
    if (!gov_find(ctx, group_id, &group)) {
        log_kv(LOG_WARN, "resource group not found in this subscription", "code",
               "MISSING_RESOURCE_GROUP", "resourceGroup", group_id, NULL);
        return 0;
    }
    return gov_relate(ctx, "HAS", group.key, group.type, entity_key, entity_type, NULL, err);
}

/*
 * azure_config: the instance config of a job (spec part A §1.1 and the
 * service contract's event `config`), parsed and validated at the edge.
 *
 * Messages follow the reference where it has them (the "{clentId, ...}"
 * typo is the reference's and operators may search for it).  Beyond the
 * reference we check types (a number where a string belongs is named) and
 * the shape of subscriptionId, because it becomes part of every ARM path:
 * only letters, digits, '-', '_' and '.' are accepted (a GUID in practice),
 * so a config can never inject a path or a query.  Strings are trimmed; an empty or
 * null subscriptionId means "none".  The secret is wiped on clear.
 */
#include "steps/azure_job.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REQUIRED_MSG "Integration configuration requires all of {clentId, clientSecret, directoryId}"

/* Copies a trimmed string member; *out NULL when absent/null/empty.
 * Returns -1 (ERR_INVALID naming the field) when it is not a string. */
static int get_trimmed(const cJSON *config, const char *name, char **out, err_info *err) {
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v) || !v->valuestring) {
        err_set(err, ERR_INVALID, "config.%s must be a string", name);
        return err_hint(err, "fix the integration instance configuration");
    }
    const char *s = v->valuestring;
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            err_set(err, ERR_INVALID, "config.%s contains control characters", name);
            return err_hint(err, "fix the integration instance configuration");
        }
    if (n > 1024) {
        err_set(err, ERR_INVALID, "config.%s is longer than 1024 characters", name);
        return err_hint(err, "fix the integration instance configuration");
    }
    *out = strndup(s, n);
    if (!*out) return err_set(err, ERR_NOMEM, "out of memory reading the config");
    return 0;
}

/* Optional boolean: true/false, or the strings "true"/"false"; null = false. */
static int get_bool(const cJSON *config, const char *name, bool *out, err_info *err) {
    *out = false;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return 0;
    }
    if (cJSON_IsString(v) && v->valuestring) {
        if (strcasecmp(v->valuestring, "true") == 0) *out = true;
        else if (strcasecmp(v->valuestring, "false") == 0 || v->valuestring[0] == '\0') *out = false;
        else goto bad;
        return 0;
    }
bad:
    err_set(err, ERR_INVALID, "config.%s must be true or false", name);
    return err_hint(err, "fix the integration instance configuration");
}

/* A value that is safe as one path segment; whether the subscription
 * exists is for validation to say (with the reference's message). */
static bool segment_safe(const char *s) {
    size_t n = strlen(s);
    if (n > 64) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

void azure_config_clear(azure_config *c) {
    if (!c) return;
    if (c->client_secret) {
        volatile char *p = c->client_secret;
        while (*p) *p++ = '\0';
    }
    free(c->client_secret);
    free(c->directory_id);
    free(c->client_id);
    free(c->subscription_id);
    memset(c, 0, sizeof *c);
}

int azure_config_parse(const cJSON *config, azure_config *out, err_info *err) {
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(config)) {
        err_set(err, ERR_INVALID, "the instance config must be a JSON object");
        return err_hint(err, "send config {\"clientId\",\"clientSecret\",\"directoryId\",...}");
    }
    if (get_trimmed(config, "clientId", &out->client_id, err) != 0 ||
        get_trimmed(config, "clientSecret", &out->client_secret, err) != 0 ||
        get_trimmed(config, "directoryId", &out->directory_id, err) != 0 ||
        get_trimmed(config, "subscriptionId", &out->subscription_id, err) != 0 ||
        get_bool(config, "ingestActiveDirectory", &out->ingest_active_directory, err) != 0 ||
        get_bool(config, "tagWithAccountName", &out->tag_with_account_name, err) != 0)
        goto fail;
    if (!out->client_id || !out->client_secret || !out->directory_id) {
        err_set(err, ERR_INVALID, REQUIRED_MSG);
        err_hint(err, "set clientId, clientSecret and directoryId of the Azure app registration");
        goto fail;
    }
    if (out->subscription_id && !segment_safe(out->subscription_id)) {
        err_set(err, ERR_INVALID, "config.subscriptionId \"%.64s\" is not a subscription id",
                out->subscription_id);
        err_hint(err, "use the subscription's GUID (az account list), or leave it empty to "
                      "ingest every subscription the app can read");
        goto fail;
    }
    return 0;
fail:
    azure_config_clear(out);
    return -1;
}

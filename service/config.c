/* config: see config.h. */
#include "service/config.h"

#include "azure/azure_endpoints.h"
#include "common/url.h"
#include "storage/config_crypto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct service_config {
    char *database_url;
    char host[256];
    int port;
    int worker_threads;
    char *webhook_secret;
    char *encryption_key;
    char *encryption_old_keys;
    char *j1_api_base_url;
    char *j1_api_key;
    azure_endpoints azure;
    int job_max_attempts;
    int job_lease_seconds;
    int job_retention_days;
    log_level level;
};

static const char *val(config_getenv_fn fn, const char *name)
{
    const char *v = fn(name);
    return v && v[0] ? v : NULL;
}

static int int_var(config_getenv_fn fn, const char *name, int def, int lo, int hi, int *out,
                   err_info *err)
{
    const char *v = val(fn, name);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        err_set(err, ERR_INVALID, "%s must be an integer from %d to %d", name, lo, hi);
        return err_hint(err, "unset %s to use the default %d", name, def);
    }
    *out = (int)n;
    return 0;
}

static char *dup_or_fail(const char *s, err_info *err)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        err_set(err, ERR_NOMEM, "out of memory reading the configuration");
    return d;
}

/* host:port or [v6]:port. */
static int parse_addr(const char *text, char *host, size_t host_size, int *port, err_info *err)
{
    const char *colon;
    const char *h = text;
    size_t hlen;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            goto bad;
        h = text + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || strchr(text, ':') != colon)
            goto bad;
        hlen = (size_t)(colon - text);
    }
    if (hlen == 0 || hlen >= host_size)
        goto bad;
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (pl == 0 || pl > 5 || strspn(p, "0123456789") != pl)
        goto bad;
    long n = strtol(p, NULL, 10);
    if (n > 65535)
        goto bad;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)n;
    return 0;
bad:
    err_set(err, ERR_INVALID, "HTTP_ADDR must be host:port (e.g. 0.0.0.0:8080 or [::]:8080)");
    return err_hint(err, "unset HTTP_ADDR to listen on 0.0.0.0:8080");
}

/* True when s holds a control character (a Secret made from a file often
 * ends in a newline). */
static bool has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return true;
    return false;
}

static const char *process_getenv(const char *name)
{
    return getenv(name);
}

service_config *config_load(config_getenv_fn getenv_fn, bool for_serve, err_info *err)
{
    config_getenv_fn fn = getenv_fn ? getenv_fn : process_getenv;
    service_config *c = calloc(1, sizeof *c);
    if (!c) {
        err_set(err, ERR_NOMEM, "out of memory reading the configuration");
        return NULL;
    }
    const char *level = val(fn, "LOG_LEVEL");
    c->level = LOG_INFO;
    if (level && log_level_parse(level, &c->level) != 0) {
        err_set(err, ERR_INVALID, "LOG_LEVEL must be one of debug, info, warn, error");
        goto fail;
    }
    const char *url = val(fn, "DATABASE_URL");
    if (!url) {
        err_set(err, ERR_INVALID, "DATABASE_URL is not set");
        err_hint(err, "set DATABASE_URL to a libpq connection string or URI, e.g. "
                      "postgresql://user@host:5432/dbname");
        goto fail;
    }
    if (!(c->database_url = dup_or_fail(url, err)))
        goto fail;
    const char *addr = val(fn, "HTTP_ADDR");
    if (parse_addr(addr ? addr : "0.0.0.0:8080", c->host, sizeof c->host, &c->port, err) != 0)
        goto fail;
    if (int_var(fn, "WORKER_THREADS", 4, 1, 256, &c->worker_threads, err) != 0 ||
        int_var(fn, "JOB_MAX_ATTEMPTS", 3, 1, 100, &c->job_max_attempts, err) != 0 ||
        int_var(fn, "JOB_LEASE_SECONDS", 60, 5, 3600, &c->job_lease_seconds, err) != 0 ||
        int_var(fn, "JOB_RETENTION_DAYS", 30, 0, 3650, &c->job_retention_days, err) != 0)
        goto fail;

    const char *secret = val(fn, "WEBHOOK_SECRET");
    if (secret && strlen(secret) < 16) {
        err_set(err, ERR_INVALID, "WEBHOOK_SECRET is shorter than 16 bytes");
        err_hint(err, "use at least 32 random bytes, e.g. `openssl rand -hex 32`");
        goto fail;
    }
    if (secret && has_control(secret)) {
        /* the scheduler signs with the secret as typed: every event would
         * be refused 401 "signature does not match" */
        err_set(err, ERR_INVALID,
                "WEBHOOK_SECRET contains a line break or another control character");
        err_hint(err, "store the secret without a trailing newline (a file written with printf, "
                      "not echo; or kubectl create secret --from-literal)");
        goto fail;
    }
    if (!secret && for_serve) {
        err_set(err, ERR_INVALID, "WEBHOOK_SECRET is not set");
        err_hint(err, "set WEBHOOK_SECRET to the HMAC key the scheduler signs events with");
        goto fail;
    }
    if (!(c->webhook_secret = dup_or_fail(secret, err)) && secret)
        goto fail;

    const char *key = val(fn, "CONFIG_ENCRYPTION_KEY");
    const char *old = val(fn, "CONFIG_ENCRYPTION_OLD_KEYS");
    if (!key && for_serve) {
        err_set(err, ERR_INVALID, "CONFIG_ENCRYPTION_KEY is not set");
        err_hint(err, "set it to 32 random bytes in base64, e.g. `openssl rand -base64 32`");
        goto fail;
    }
    if (key) {
        err_info ce = {0};
        config_crypto *probe = config_crypto_new(key, old, &ce);
        if (!probe) {
            /* config_crypto's messages never echo a key. */
            err_set(err, ERR_INVALID, "CONFIG_ENCRYPTION_KEY / CONFIG_ENCRYPTION_OLD_KEYS: %s",
                    ce.message);
            err_hint(err, "each key is 32 random bytes in base64 (`openssl rand -base64 32`)");
            goto fail;
        }
        config_crypto_free(probe);
        if (!(c->encryption_key = dup_or_fail(key, err)))
            goto fail;
        if (old && !(c->encryption_old_keys = dup_or_fail(old, err)))
            goto fail;
    }

    const char *j1 = val(fn, "J1_API_BASE_URL");
    if (!j1)
        j1 = "https://api.us.jupiterone.io";
    /* https, or http to a loopback host (the contract); no user@ part */
    if (!url_is_https(j1) && !url_is_loopback_http(j1)) {
        err_set(err, ERR_INVALID, "J1_API_BASE_URL must be an https:// URL with a host and no "
                                  "user@ part (http:// only for a loopback host)");
        err_hint(err, "unset it to use https://api.us.jupiterone.io");
        goto fail;
    }
    if (!(c->j1_api_base_url = dup_or_fail(j1, err)))
        goto fail;
    /* Optional (the contract): without it uploads carry no Authorization
     * header, for a deployment whose egress proxy adds one; serve warns at
     * start and JupiterOne's 401 names the variable. */
    const char *apikey = val(fn, "J1_API_KEY");
    if (apikey && has_control(apikey)) {
        /* The uploader refuses such a key: serve would start and be ready,
         * and then fail every job. */
        err_set(err, ERR_INVALID, "J1_API_KEY contains a line break or another control character");
        err_hint(err, "store the key without a trailing newline (a file written with printf, "
                      "not echo; or kubectl create secret --from-literal)");
        goto fail;
    }
    if (apikey && !(c->j1_api_key = dup_or_fail(apikey, err)))
        goto fail;

    if (for_serve && azure_endpoints_from_env(&c->azure, err) != 0)
        goto fail;
    return c;
fail:
    config_free(c);
    return NULL;
}

static void wipe_free(char *s)
{
    config_crypto_wipe_free(s);
}

void config_free(service_config *c)
{
    if (!c)
        return;
    wipe_free(c->database_url);
    wipe_free(c->webhook_secret);
    wipe_free(c->encryption_key);
    wipe_free(c->encryption_old_keys);
    free(c->j1_api_base_url);
    wipe_free(c->j1_api_key);
    free(c);
}

const char *config_database_url(const service_config *c) { return c->database_url; }
const char *config_http_host(const service_config *c) { return c->host; }
int config_http_port(const service_config *c) { return c->port; }
int config_worker_threads(const service_config *c) { return c->worker_threads; }
const char *config_webhook_secret(const service_config *c) { return c->webhook_secret; }
const char *config_encryption_key(const service_config *c) { return c->encryption_key; }
const char *config_encryption_old_keys(const service_config *c) { return c->encryption_old_keys; }
const char *config_j1_api_base_url(const service_config *c) { return c->j1_api_base_url; }
const char *config_j1_api_key(const service_config *c) { return c->j1_api_key; }
const azure_endpoints *config_azure(const service_config *c) { return &c->azure; }
int config_job_max_attempts(const service_config *c) { return c->job_max_attempts; }
int config_job_lease_seconds(const service_config *c) { return c->job_lease_seconds; }
int config_job_retention_days(const service_config *c) { return c->job_retention_days; }
log_level config_log_level(const service_config *c) { return c->level; }

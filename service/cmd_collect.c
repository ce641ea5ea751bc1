/*
 * cmd_collect: `azure-integration collect [--config FILE] [--output DIR]`.
 *
 * One whole ingestion in-process, without database or JupiterOne: the
 * instance config comes from FILE (the event's `config` fields) or, without
 * --config, from the SDK's environment variables (CLIENT_ID, CLIENT_SECRET,
 * DIRECTORY_ID, SUBSCRIPTION_ID, INGEST_ACTIVE_DIRECTORY,
 * TAG_WITH_ACCOUNT_NAME); the instance from INTEGRATION_INSTANCE_ID /
 * _NAME / _ACCOUNT_ID with the SDK's defaults; Azure endpoints from
 * azure_endpoints_from_env.  The config passes the checks POST /v1/events
 * applies to an event's config (handlers/events.c) and is normalized as the
 * service stores it, so collect accepts what the service accepts and runs it
 * the same way.  LOG_LEVEL as for serve.  The graph is written by the SDK
 * writer to DIR (default .j1-integration).  Exit codes (service-contract.md): 0 every
 * step succeeded, 2 some failed (partial), 1 fatal, 64 usage.
 */
#include "service/commands.h"

#include "common/json.h"
#include "common/log.h"
#include "engine/graph_store.h"
#include "engine/runner.h"
#include "engine/sdk_writer.h"
#include "handlers/events.h"
#include "steps/azure_job.h"
#include "steps/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXIT_PARTIAL 2
#define EXIT_USAGE 64

static void usage(FILE *f)
{
    fprintf(f, "usage: azure-integration collect [--config FILE] [--output DIR]\n"
               "  --config FILE  instance config JSON (clientId, clientSecret, directoryId,\n"
               "                 subscriptionId, ingestActiveDirectory, tagWithAccountName);\n"
               "                 without it the same fields are read from CLIENT_ID, ...\n"
               "  --output DIR   output directory (deleted first; default .j1-integration)\n");
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* The event config's fields and the SDK's environment variables for them. */
static const struct {
    const char *field, *env;
    bool boolean;
} k_fields[] = {
    {"clientId", "CLIENT_ID", false},
    {"clientSecret", "CLIENT_SECRET", false},
    {"directoryId", "DIRECTORY_ID", false},
    {"subscriptionId", "SUBSCRIPTION_ID", false},
    {"ingestActiveDirectory", "INGEST_ACTIVE_DIRECTORY", true},
    {"tagWithAccountName", "TAG_WITH_ACCOUNT_NAME", true},
};

static cJSON *config_from_env(err_info *err)
{
    cJSON *c = cJSON_CreateObject();
    for (size_t i = 0; c && i < sizeof k_fields / sizeof *k_fields; i++) {
        const char *v = getenv(k_fields[i].env);
        if (!v)
            continue;
        if (k_fields[i].boolean) {
            if (strcasecmp(v, "true") != 0 && strcasecmp(v, "false") != 0) {
                cJSON_Delete(c);
                err_set(err, ERR_INVALID, "%s must be true or false", k_fields[i].env);
                return NULL;
            }
            cJSON_AddBoolToObject(c, k_fields[i].field, strcasecmp(v, "true") == 0);
        } else {
            cJSON_AddStringToObject(c, k_fields[i].field, v);
        }
    }
    return c;
}

/* Checks config exactly as POST /v1/events checks an event's config
 * (events_config_check: required fields, types, characters, lengths) and
 * returns the config the service would store for it (ids trimmed, empty
 * optional fields dropped, booleans defaulted), or NULL with the edge's
 * message naming the field (never a value). */
static cJSON *config_as_edge(cJSON *config, const char *path, err_info *err)
{
    cJSON *out = NULL;
    char why[256];
    if (events_config_check(config, "config", &out, why, sizeof why) == 0)
        return out;
    const char *env = NULL;
    for (size_t i = 0; !path && i < sizeof k_fields / sizeof *k_fields; i++) {
        size_t n = strlen(k_fields[i].field);
        if (strncmp(why, "config.", 7) == 0 && strncmp(why + 7, k_fields[i].field, n) == 0 &&
            why[7 + n] == ' ')
            env = k_fields[i].env;
    }
    if (path)
        err_set(err, ERR_INVALID, "config file %s: %s", path, why);
    else if (env)
        err_set(err, ERR_INVALID, "%s: %s", env, why);
    else
        err_set(err, ERR_INVALID, "%s", why);
    err_hint(err, "the config takes the fields and values of an event's "
                  "integrationInstance.config");
    return NULL;
}

static cJSON *read_config(const char *path, err_info *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, ERR_INVALID, "cannot open config file %s", path);
        err_hint(err, "pass a readable JSON file with --config");
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
            if (!nb)
                break;
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    fclose(f);
    cJSON *c = buf ? json_parse_len(buf, len) : NULL;
    free(buf);
    if (!cJSON_IsObject(c)) {
        cJSON_Delete(c);
        err_set(err, ERR_INVALID, "config file %s is not a JSON object", path);
        return NULL;
    }
    return c;
}

static bool enabled(void *integration, const step_def *step)
{
    return azure_job_step_enabled(integration, step);
}

static void on_change(void *ctx, const runner_step_info *s)
{
    (void)ctx;
    if (s->status == RUNNER_STEP_RUNNING || s->status == RUNNER_STEP_PENDING)
        return;
    char ents[32], rels[32], dur[32];
    snprintf(ents, sizeof ents, "%llu", (unsigned long long)s->entities);
    snprintf(rels, sizeof rels, "%llu", (unsigned long long)s->relationships);
    snprintf(dur, sizeof dur, "%lld", (long long)s->duration_ms);
    log_kv(s->status == RUNNER_STEP_FAILURE ? LOG_WARN : LOG_INFO, "step ended", "step", s->def->id,
           "status", runner_status_sdk_name(s->status), "entities", ents, "relationships", rels,
           "durationMs", dur, "error", s->error, (char *)NULL);
}

int cmd_collect(int argc, char **argv)
{
    const char *config_path = NULL, *output = ".j1-integration";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
            output = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "collect: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    int code = 1;
    err_info err = {0};
    /* LOG_LEVEL as for serve and migrate (service/config.c) */
    const char *level_text = getenv("LOG_LEVEL");
    log_level level = LOG_INFO;
    if (level_text && *level_text && log_level_parse(level_text, &level) != 0) {
        fprintf(stderr, "collect: LOG_LEVEL must be one of debug, info, warn, error\n");
        return 1;
    }
    log_set_level(level);
    cJSON *raw = config_path ? read_config(config_path, &err) : config_from_env(&err);
    cJSON *config = NULL;
    azure_job *job = NULL;
    sdk_writer *writer = NULL;
    graph_store *store = NULL;
    runner *run = NULL;
    const char *secret = NULL;
    if (!raw)
        goto done;
    secret = json_get_string(raw, "clientSecret");
    if (secret)
        log_secret_register(secret);
    if (!(config = config_as_edge(raw, config_path, &err)))
        goto done;
    azure_endpoints ep;
    if (azure_endpoints_from_env(&ep, &err) != 0)
        goto done;
    azure_instance_info inst = {
        .instance_id = env_or("INTEGRATION_INSTANCE_ID", "local-integration-instance"),
        .instance_name = env_or("INTEGRATION_INSTANCE_NAME", "Local Integration"),
        .account_id = env_or("INTEGRATION_INSTANCE_ACCOUNT_ID",
                             env_or("JUPITERONE_LOCAL_INTEGRATION_INSTANCE_ACCOUNT_ID",
                                    "Your account")),
    };
    if (sdk_writer_new(output, &writer, &err) != 0)
        goto done;
    if (azure_job_new(config, &inst, &ep, &job, &err) != 0 || azure_job_validate(job, &err) != 0)
        goto done;
    graph_sink sink = sdk_writer_sink(writer);
    store = graph_store_new(&sink, NULL, &err);
    if (!store)
        goto done;
    size_t count = 0;
    const step_def *const *table = registry_steps(&count);
    runner_config cfg = {.table = table, .count = count, .integration = job, .enabled = enabled,
                         .store = store, .sink = &sink,
                         .callbacks = {.step_changed = on_change}};
    run = runner_new(&cfg, &err);
    if (!run)
        goto done;
    runner_outcome out = runner_run(run, &err);
    graph_store_stats st;
    graph_store_get_stats(store, &st);
    char ents[32], rels[32], dups[32], files[32];
    snprintf(ents, sizeof ents, "%llu", (unsigned long long)st.entities);
    snprintf(rels, sizeof rels, "%llu", (unsigned long long)st.relationships);
    snprintf(dups, sizeof dups, "%llu", (unsigned long long)st.duplicates);
    snprintf(files, sizeof files, "%lu", sdk_writer_files(writer));
    log_kv(LOG_INFO, "collect finished", "output", output, "entities", ents, "relationships", rels,
           "duplicates", dups, "files", files, (char *)NULL);
    code = out == RUNNER_OK ? 0 : out == RUNNER_PARTIAL ? EXIT_PARTIAL : 1;
done:
    if (code == 1) {
        char buf[900];
        fprintf(stderr, "collect: %s\n", err_describe(&err, buf, sizeof buf));
    }
    runner_free(run);
    graph_store_free(store);
    sdk_writer_free(writer);
    azure_job_free(job);
    if (secret)
        log_secret_unregister(secret);
    /* both trees hold the client secret: wiped, then freed */
    events_parsed_free(&(events_parsed){.root = raw, .config = config});
    return code;
}

/* svc_fixture: see svc_fixture.h. */
#include "svc_fixture.h"

#include "common/json.h"
#include "common/random.h"
#include "storage/testdb.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void random_hex(char *out, size_t bytes)
{
    unsigned char b[64];
    random_bytes(b, bytes);
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int svc_fixture_setup(svc_fixture *f, const char *name, const fake_azure_tenant *tenant)
{
    memset(f, 0, sizeof *f);
    sbuf_init(&f->answers);
    const char *bin = getenv("AI_BINARY_DIR");
    if (bin && *bin)
        snprintf(f->dir, sizeof f->dir, "%s/tests/service/logs-%s", bin, name);
    else
        snprintf(f->dir, sizeof f->dir, "/tmp/ai-service-test-logs-%s", name);
    if (mkdir(f->dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "svc_fixture: cannot create %s: %s\n", f->dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < SVC_MAX_SERVES; i++) {
        snprintf(f->serve_logs[i], sizeof f->serve_logs[i], "%s/serve-%d.log", f->dir, i);
        unlink(f->serve_logs[i]);
    }
    /* Random secrets, so that a hit in a log or dump can only be a leak. */
    memcpy(f->webhook_secret, "whsec-", 6);
    random_hex(f->webhook_secret + 6, 20);
    memcpy(f->client_secret, "azcs-", 5);
    random_hex(f->client_secret + 5, 20);
    memcpy(f->j1_api_key, "j1key-", 6);
    random_hex(f->j1_api_key + 6, 20);
    unsigned char key[32];
    random_bytes(key, sizeof key);
    EVP_EncodeBlock((unsigned char *)f->encryption_key, key, sizeof key);

    f->db_url = testdb_create();
    if (!f->db_url)
        return -1;
    fake_azure_options ao = {0};
    f->azure = fake_azure_start(&ao);
    if (!f->azure || fake_azure_generate(f->azure, tenant) != 0) {
        fprintf(stderr, "svc_fixture: fake Azure did not start\n");
        return -1;
    }
    fake_j1_options jo = {.api_key = f->j1_api_key, .account_id = SVC_ACCOUNT_ID};
    f->j1 = fake_j1_start(&jo);
    f->http = proc_http_new();
    if (!f->j1 || !f->http) {
        fprintf(stderr, "svc_fixture: fake JupiterOne or HTTP client did not start\n");
        return -1;
    }
    return 0;
}

int svc_fixture_open(void **state, const char *name, const fake_azure_tenant *tenant)
{
    *state = NULL;
    svc_fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (svc_fixture_setup(f, name, tenant) != 0) {
        svc_fixture_teardown(f);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

int svc_fixture_close(void **state)
{
    svc_fixture_teardown(*state);
    free(*state);
    *state = NULL;
    return 0;
}

void svc_fixture_teardown(svc_fixture *f)
{
    if (!f) /* cmocka's group teardown after a failed setup */
        return;
    for (int i = 0; i < SVC_MAX_SERVES; i++) {
        proc_serve_free(f->serves[i]);
        f->serves[i] = NULL;
    }
    proc_http_free(f->http);
    if (f->j1)
        fake_j1_stop(f->j1);
    if (f->azure)
        fake_azure_stop(f->azure);
    testdb_drop(f->db_url);
    sbuf_free(&f->answers);
    memset(f, 0, sizeof *f);
}

proc_serve *svc_serve(svc_fixture *f, int slot, const svc_serve_options *o)
{
    if (slot < 0 || slot >= SVC_MAX_SERVES)
        return NULL;
    proc_serve_free(f->serves[slot]);
    proc_serve_options so = {.database_url = f->db_url, .webhook_secret = f->webhook_secret,
                             .encryption_key = f->encryption_key, .j1_url = fake_j1_url(f->j1),
                             .j1_api_key = f->j1_api_key, .azure_url = fake_azure_url(f->azure),
                             .worker_threads = o->workers, .lease_seconds = o->lease_seconds,
                             .log_level = o->log_level, .extra_env = o->extra_env,
                             .log_path = f->serve_logs[slot]};
    f->serves[slot] = proc_serve_start(&so);
    return f->serves[slot];
}

char *svc_event_body(const svc_fixture *f, const char *event_id, const char *instance_id,
                     const char *directory, bool ingest_ad)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "eventId", event_id);
    cJSON_AddStringToObject(root, "accountId", SVC_ACCOUNT_ID);
    cJSON *inst = cJSON_AddObjectToObject(root, "integrationInstance");
    cJSON_AddStringToObject(inst, "id", instance_id);
    cJSON_AddStringToObject(inst, "name", "Process Test Azure");
    cJSON *cfg = cJSON_AddObjectToObject(inst, "config");
    cJSON_AddStringToObject(cfg, "directoryId", directory ? directory : SVC_DIRECTORY_ID);
    /* One app registration per instance, as in production: Azure's read
     * budgets (and the client's shared pacing) are per principal. */
    char client_id[160];
    snprintf(client_id, sizeof client_id, "c-%s", instance_id);
    cJSON_AddStringToObject(cfg, "clientId", client_id);
    cJSON_AddStringToObject(cfg, "clientSecret", f->client_secret);
    cJSON_AddBoolToObject(cfg, "ingestActiveDirectory", ingest_ad);
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static void record(svc_fixture *f, const char *what, const proc_http_answer *a)
{
    sbuf_printf(&f->answers, "== %s -> %ld\n", what, a->status);
    sbuf_puts(&f->answers, a->headers ? a->headers : "");
    sbuf_puts(&f->answers, a->body ? a->body : "");
    sbuf_putc(&f->answers, '\n');
}

long svc_post_event(svc_fixture *f, proc_serve *s, const char *body, char job_id[64])
{
    proc_http_answer a = {0};
    proc_http_post_event(f->http, proc_serve_url(s), f->webhook_secret, 0, body, 30000, &a);
    record(f, "POST /v1/events", &a);
    long st = a.status;
    if (job_id) {
        job_id[0] = '\0';
        cJSON *d = cJSON_Parse(a.body);
        const char *id = json_get_string(d, "jobId");
        if (id)
            snprintf(job_id, 64, "%s", id);
        cJSON_Delete(d);
    }
    proc_http_answer_free(&a);
    return st;
}

long svc_get(svc_fixture *f, proc_serve *s, const char *path, cJSON **doc)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", proc_serve_url(s), path);
    proc_http_answer a = {0};
    proc_http_request(f->http, "GET", url, NULL, NULL, 0, 30000, &a);
    char what[1100];
    snprintf(what, sizeof what, "GET %s", path);
    record(f, what, &a);
    if (doc)
        *doc = cJSON_Parse(a.body);
    long st = a.status;
    proc_http_answer_free(&a);
    return st;
}

bool svc_final_status(const char *st)
{
    return st && (strcmp(st, "succeeded") == 0 || strcmp(st, "partial") == 0 ||
                  strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0);
}

cJSON *svc_wait_job(svc_fixture *f, proc_serve *s, const char *job_id, const char *want,
                    int timeout_ms)
{
    char path[256], last[64] = "(no answer)";
    snprintf(path, sizeof path, "/v1/jobs/%s", job_id);
    long long end = proc_now_ms() + timeout_ms;
    while (proc_now_ms() < end) {
        cJSON *doc = NULL;
        long st = svc_get(f, s, path, &doc);
        const char *status = json_get_string(doc, "status");
        if (st == 200 && status) {
            snprintf(last, sizeof last, "%s", status);
            if (want ? strcmp(status, want) == 0 : svc_final_status(status))
                return doc;
        }
        cJSON_Delete(doc);
        proc_sleep_ms(200);
    }
    fprintf(stderr, "svc_wait_job: job %s still %s after %d ms (wanted %s)\n", job_id, last,
            timeout_ms, want ? want : "a final status");
    return NULL;
}

char *svc_sql(svc_fixture *f, const char *sql) { return testdb_query(f->db_url, sql); }

long long svc_sql_int(svc_fixture *f, const char *sql)
{
    char *v = svc_sql(f, sql);
    long long n = v && *v ? strtoll(v, NULL, 10) : -1;
    free(v);
    return n;
}

void svc_print_log(const svc_fixture *f, int slot)
{
    size_t len = 0;
    char *log = proc_read_file(f->serve_logs[slot], &len);
    if (log) {
        size_t from = len > 6000 ? len - 6000 : 0;
        fprintf(stderr, "---- %s (last %zu bytes) ----\n%s\n----\n", f->serve_logs[slot],
                len - from, log + from);
    }
    free(log);
}

void svc_j1_states_get(svc_fixture *f, svc_j1_states *out)
{
    memset(out, 0, sizeof *out);
    char *js = fake_j1_summary_json(f->j1);
    cJSON *s = cJSON_Parse(js);
    free(js);
    const cJSON *j;
    cJSON_ArrayForEach(j, json_get(s, "jobs")) {
        const char *st = json_get_string(j, "status");
        if (!st)
            continue;
        if (strcmp(st, "FINALIZE_PENDING") == 0)
            out->finalized++;
        else if (strcmp(st, "ABORTED") == 0)
            out->aborted++;
        else if (strcmp(st, "AWAITING_UPLOADS") == 0)
            out->open++;
    }
    cJSON_Delete(s);
}

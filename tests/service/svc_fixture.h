/*
 * svc_fixture: what the process-level tests of `serve` share: a private
 * database (testdb), an in-process fake Azure with a generated tenant, an
 * in-process fake JupiterOne, random secrets, a log directory, the serve
 * processes started (killed in teardown on every exit path), and every
 * HTTP answer received (for the secrets test).
 */
#ifndef AI_TESTS_SERVICE_SVC_FIXTURE_H
#define AI_TESTS_SERVICE_SVC_FIXTURE_H

#include "common/sbuf.h"
#include "fakes/fake_azure.h"
#include "fakes/fake_j1.h"
#include "support/proc_http.h"
#include "support/proc_serve.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

#define SVC_MAX_SERVES 4
#define SVC_DIRECTORY_ID "00000000-0000-4000-8000-000000000000"
#define SVC_ACCOUNT_ID "j1-acct-svc"

typedef struct svc_fixture {
    char *db_url;
    fake_azure *azure;
    fake_j1 *j1;
    char dir[1024];             /* logs of this test (kept under the build dir) */
    char webhook_secret[80];
    char client_secret[80];
    char j1_api_key[80];
    char encryption_key[64];    /* base64 of 32 random bytes */
    proc_serve *serves[SVC_MAX_SERVES];
    char serve_logs[SVC_MAX_SERVES][1200];
    proc_http *http;
    sbuf answers;               /* status line, headers and body of every answer */
} svc_fixture;

/* name: the test's name (log directory).  tenant: generated fake tenant. */
int svc_fixture_setup(svc_fixture *f, const char *name, const fake_azure_tenant *tenant);
void svc_fixture_teardown(svc_fixture *f);

/* The same as cmocka set-up / tear-down: open allocates the fixture and
 * sets *state to it (NULL, with everything released, when set-up fails);
 * close tears it down and frees it (NULL accepted). */
int svc_fixture_open(void **state, const char *name, const fake_azure_tenant *tenant);
int svc_fixture_close(void **state);

typedef struct svc_serve_options {
    int workers;            /* WORKER_THREADS (< 0: unset) */
    int lease_seconds;      /* 0: unset */
    const char *log_level;  /* NULL: unset */
    const char *const *extra_env;  /* more "K=V" for serve, NULL-terminated, or NULL */
} svc_serve_options;

/* Starts serve number `slot` (0..SVC_MAX_SERVES-1, log serve-<slot>.log)
 * against the fixture's database and fakes; NULL when it does not become
 * ready (the log tail is printed). */
proc_serve *svc_serve(svc_fixture *f, int slot, const svc_serve_options *o);

/* The event body of the contract for (event_id, instance_id); directory
 * NULL = SVC_DIRECTORY_ID.  malloc'd. */
char *svc_event_body(const svc_fixture *f, const char *event_id, const char *instance_id,
                     const char *directory, bool ingest_ad);

/* POST a signed event to serve `s`; the answer is recorded.  Returns the
 * status (0 = no answer) and copies the jobId of a 200/202 into job_id. */
long svc_post_event(svc_fixture *f, proc_serve *s, const char *body, char job_id[64]);

/* GET path on serve `s` (recorded).  *doc (may be NULL) gets the parsed
 * JSON body, or NULL.  Returns the status. */
long svc_get(svc_fixture *f, proc_serve *s, const char *path, cJSON **doc);

/* Polls GET /v1/jobs/{id} until its status is a final one (succeeded,
 * partial, failed, cancelled) or `want` (when not NULL), up to timeout_ms.
 * Returns the job document (caller frees) or NULL on timeout (the last
 * status is printed). */
cJSON *svc_wait_job(svc_fixture *f, proc_serve *s, const char *job_id, const char *want,
                    int timeout_ms);

/* One value from the test database (malloc'd; NULL on error). */
char *svc_sql(svc_fixture *f, const char *sql);
long long svc_sql_int(svc_fixture *f, const char *sql);

/* True for succeeded / partial / failed / cancelled. */
bool svc_final_status(const char *status);

/* Fake JupiterOne's synchronization jobs by state: finalized
 * (FINALIZE_PENDING), aborted, still open (AWAITING_UPLOADS). */
typedef struct svc_j1_states {
    size_t finalized, aborted, open;
} svc_j1_states;
void svc_j1_states_get(svc_fixture *f, svc_j1_states *out);

/* Prints the last bytes of serve slot's log (for failure diagnostics). */
void svc_print_log(const svc_fixture *f, int slot);

#endif

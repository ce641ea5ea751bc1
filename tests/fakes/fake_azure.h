/*
 * fake_azure: a fake of login.microsoftonline.com, graph.microsoft.com and
 * management.azure.com on one loopback port (libmicrohttpd, 127.0.0.1,
 * port chosen by the kernel).  Point a client at it with
 * fake_azure_endpoints() (all three endpoints are fake_azure_url()).
 *
 * Two sources of answers, usable together (recordings are consulted first):
 *
 * Recording mode: HAR files (log.entries[].request{method,url},
 * response{status,headers,content.text}).  A request matches an entry on
 * method + path + query, ignoring the host; paths and queries are compared
 * after percent-decoding unreserved characters, sorting query parameters and
 * collapsing repeated slashes (recordings hold "//" quirks).  When several
 * entries match, they are served in recorded order, then the last repeats.
 * Token POSTs to /{tenant}/oauth2/... answer the recorded token response for
 * that tenant if there is one (its successful ones when it has any: load a
 * failing recording alone to replay a token error), else a fresh token.  Absolute URLs inside
 * bodies (nextLink, @odata.nextLink, any "https://host/..." of a fake host)
 * are rewritten to point at the fake.  Unmatched requests answer 404 with a
 * JSON error and are listed (tests assert the list is empty).
 *
 * Generated mode: a synthesized tenant (users, groups, memberships, service
 * principals, subscriptions, resource groups, resources) served with
 * Azure's page sizes (Graph 100 per page by default, $top up to 999; ARM
 * 1000 per page with nextLink), optional per-request latency and optional
 * read throttling (a token bucket per subscription for ARM and per tenant
 * for Graph: burst 250, refill 25 per second; 429 + Retry-After beyond it).
 * ARM resource types come from a table (fake_azure_gen_types.c).
 *
 * Fault injection: rules matched in order against each request (path
 * substring or prefix, optional method) that answer a status (with
 * Retry-After for 429/503), delay, or drop the connection, a given number of
 * times (or forever).
 *
 * Graph JSON batching: POST /v1.0/$batch (Content-Type application/json)
 * {"requests":[{"id","method","url"},...]} answers 200
 * {"responses":[{"id","status","headers":{"Content-Type",["Retry-After"]},
 * ["body"]},...]} in request order.  Each request's url is relative to the
 * version ("/groups/..." or "groups/...") and is answered exactly as
 * "METHOD /v1.0" + url would be on its own (fault rules, recordings,
 * generated tenant with its throttle, 404), counted in seen paths,
 * count_path, throttled and faults as that request (not in requests or
 * max_in_flight; latency once per batch).  A JSON body is inlined as JSON,
 * another non-empty one as a JSON string, an empty one omitted.  A fault
 * rule that drops an inner request drops the whole batch connection.
 * 400 {"error":{"code":"BadRequest",...}} for a body that is not JSON or
 * not application/json, no "requests" array, 0 or more than 20 requests,
 * a request without string id/method/url, duplicate ids, an unknown method
 * or a url that is absolute or starts with /v1.0.  A fault rule or a
 * canned/recorded answer for "POST /v1.0/$batch" applies to the POST itself.
 *
 * Thread-safety: the server runs its own threads; every function here may
 * be called from the test thread while requests are in flight.
 */
#ifndef AI_TESTS_FAKES_FAKE_AZURE_H
#define AI_TESTS_FAKES_FAKE_AZURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fake_azure fake_azure;

typedef struct fake_azure_options {
    uint16_t port;          /* 0 = any free port */
    int latency_ms;         /* added to every answer (generated and recorded) */
    bool throttle;          /* Azure-like read throttling in generated mode */
    int token_expires_in;   /* expires_in of generated tokens (default 3599) */
    int token_bytes;        /* length of generated access tokens, padded (0: ~40 bytes;
                             * Azure AD's are ~1,500-2,500 bytes, and their length is
                             * part of every request's cost) */
    int graph_burst;        /* Graph throttle bucket (default 8000) ... */
    int graph_refill_per_s; /* ... and refill (default 800/s) */
} fake_azure_options;

/* Starts the server; NULL opts = defaults.  Returns NULL on failure (message
 * on stderr). */
fake_azure *fake_azure_start(const fake_azure_options *opts);
void fake_azure_stop(fake_azure *fake);

/* "http://127.0.0.1:<port>" (owned by the fake). */
const char *fake_azure_url(const fake_azure *fake);

/* Loads one HAR file, or every recording.har below dir (recursively).
 * Returns the number of entries loaded, or -1 on error. */
int fake_azure_load_har(fake_azure *fake, const char *path);
int fake_azure_load_dir(fake_azure *fake, const char *dir);

/* Adds one canned answer (method + path-and-query, host ignored). */
int fake_azure_add_response(fake_azure *fake, const char *method, const char *path_and_query,
                            int status, const char *content_type, const char *body);

/* Generated mode. */
typedef struct fake_azure_tenant {
    int users;
    int groups;
    int members;              /* memberships, spread over the groups */
    int service_principals;
    int subscriptions;
    int resource_groups;      /* per subscription */
    int resources;            /* per resource type, per subscription */
} fake_azure_tenant;
int fake_azure_generate(fake_azure *fake, const fake_azure_tenant *tenant);
/* Number of ARM resource types (provider collections) a generated tenant
 * serves: a tenant holds resources x this many items per subscription. */
int fake_azure_generated_type_count(void);

/* Fault injection. */
typedef enum fake_azure_fault_kind {
    FAKE_FAULT_STATUS = 0,  /* answer `status` (Retry-After header if retry_after set) */
    FAKE_FAULT_DELAY,       /* wait delay_ms, then answer normally */
    FAKE_FAULT_DROP         /* close the connection without an answer */
} fake_azure_fault_kind;

typedef struct fake_azure_fault {
    const char *match;       /* substring of path+query; "^/x" = prefix */
    const char *method;      /* NULL = any */
    fake_azure_fault_kind kind;
    int status;              /* FAKE_FAULT_STATUS */
    const char *retry_after; /* Retry-After value ("2" or an HTTP date), or NULL */
    const char *body;        /* answer body, NULL = generic JSON error */
    int delay_ms;            /* FAKE_FAULT_DELAY (also applied before a status) */
    int times;               /* how many requests it applies to; 0 = forever */
} fake_azure_fault;
int fake_azure_add_fault(fake_azure *fake, const fake_azure_fault *fault);
void fake_azure_clear_faults(fake_azure *fake);

/* Counters. */
typedef struct fake_azure_counts {
    int64_t requests;        /* every HTTP request, token POSTs included (a batch = 1) */
    int64_t token_requests;
    int64_t throttled;       /* 429s answered by the throttle model (inner ones too) */
    int64_t faults;          /* requests answered by a fault rule (inner ones too) */
    int64_t batch_requests;  /* POSTs to /v1.0/$batch answered as a batch (400s too) */
    int64_t batched;         /* requests inside batches answered */
    int max_in_flight;       /* highest number of concurrent requests seen */
} fake_azure_counts;
void fake_azure_get_counts(fake_azure *fake, fake_azure_counts *out);
void fake_azure_reset_counts(fake_azure *fake);
/* Requests for one path-and-query prefix (query parameters sorted and
 * decoded; the first 200,000 requests since the last reset are kept). */
int64_t fake_azure_count_path(fake_azure *fake, const char *prefix);
/* Generated mode with throttling: the most reads any one throttling bucket
 * (an ARM subscription or tenant scope / the Graph tenant, per principal)
 * has answered since the tenant was generated (0 without throttling). */
void fake_azure_bucket_max(fake_azure *fake, int64_t *arm_reads, int64_t *graph_reads);

/* Request i since the last reset (path?query as counted by count_path), in
 * arrival order; false when out of range. */
bool fake_azure_seen(fake_azure *fake, size_t i, char *buf, size_t size);

/* Unmatched requests ("GET /path?query"), in arrival order. */
size_t fake_azure_unmatched_count(fake_azure *fake);
/* Copies entry i into buf; returns false when out of range. */
bool fake_azure_unmatched(fake_azure *fake, size_t i, char *buf, size_t size);

/* The last request's Authorization header / form body seen at a token
 * endpoint (tests of what the client sends).  Copied into buf. */
void fake_azure_last_token_form(fake_azure *fake, char *buf, size_t size);

#endif

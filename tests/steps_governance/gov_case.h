/*
 * gov_case: data-driven step tests for the directory and governance steps.
 *
 * A case is: the recordings served by the fake Azure server, the instance
 * config (subscription, ingestActiveDirectory), entities other steps would
 * have produced (seeded into the job graph), the steps to run, and the
 * expected graph — a JSON file under tests/steps_governance/expected/
 * derived from the recordings by derive_expected.py following the spec.
 * gov_case_run() runs the steps through the engine's step harness and
 * compares the produced graph with the expected one exactly: the same _keys,
 * and for each object the same properties and values (_rawData is checked
 * for shape: first entry named "default").
 */
#ifndef AI_TESTS_GOV_CASE_H
#define AI_TESTS_GOV_CASE_H

#include "fakes/fake_azure.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define GOV_MAX 8

typedef struct gov_fault {
    const char *match;
    int status;
    const char *body;
    int times;   /* 0 = every matching request */
    const char *retry_after;   /* Retry-After header of the answer, or NULL */
} gov_fault;

typedef struct gov_case {
    const char *expected;               /* name under expected/ (no ".json"), or a path with
                                           '/' relative to the source tree; NULL = none */
    const char *hars[GOV_MAX];          /* paths under tests/fixtures/azure-recordings/ */
    const char *subscription;           /* config.subscriptionId, NULL = none */
    bool ingest_active_directory;
    const char *seed[GOV_MAX];          /* JSON texts of entities to seed */
    const char *steps[GOV_MAX];         /* step ids run in order */
    gov_fault faults[GOV_MAX];          /* injected answers */
    const char *failing_step;           /* a step expected to fail, or NULL */
    const fake_azure_tenant *tenant;    /* generated tenant served besides recordings */
} gov_case;

/* Number of objects of `type` in graph[part] ("entities"/"relationships"). */
int gov_graph_count(const cJSON *graph, const char *part, const char *type);

/* Runs the case; fails the cmocka test on any difference.  When out is not
 * NULL, *out receives {"entities":[...],"relationships":[...]} as produced
 * (caller frees) and, when *failing_step, the error of that step is put in
 * out_error. */
void gov_case_run(const gov_case *c, cJSON **out, char *out_error, size_t error_size);

/* Compares two graphs ({"entities","relationships"}); fails on difference. */
void gov_graph_assert_equal(const cJSON *expected, const cJSON *actual);

#endif

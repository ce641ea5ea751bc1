/*
 * store_bench: issue 4 benchmark.  Pushes N entities and M relationships
 * (default 1,000,000 and 2,000,000) through the graph store (rules, key
 * index, spill files, chunking) and the SDK on-disk writer into a
 * temporary directory, then prints objects/s and peak RSS beside the
 * targets (>= 200,000 objects/s, <= 400 MB) as ratios.
 *
 *   store_bench [--entities N] [--relationships M] [--keep DIR]
 *
 * Objects are shaped like ARM resources: 90-110 character ids, a dozen
 * properties and a small _rawData, built with cJSON as a step would.
 */
#include "common/json.h"
#include "common/timefmt.h"
#include "engine/graph_store.h"
#include "engine/sdk_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define TARGET_OBJECTS_PER_S 200000.0
#define TARGET_RSS_MB 400.0

static void vm_key(char *buf, size_t size, long i)
{
    snprintf(buf, size,
             "/subscriptions/8f0e1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b/resourceGroups/rg-%04ld/providers/"
             "Microsoft.Compute/virtualMachines/vm-%08ld",
             i % 1000, i);
}

static cJSON *make_entity(long i)
{
    char key[256], name[32];
    vm_key(key, sizeof key, i);
    snprintf(name, sizeof name, "vm-%08ld", i);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "_key", key);
    cJSON_AddStringToObject(e, "_type", "azure_vm");
    cJSON *c = cJSON_AddArrayToObject(e, "_class");
    cJSON_AddItemToArray(c, cJSON_CreateString("Resource"));
    cJSON_AddStringToObject(e, "id", key);
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "displayName", name);
    cJSON_AddStringToObject(e, "category", "server");
    cJSON_AddStringToObject(e, "region", "eastus");
    cJSON_AddStringToObject(e, "vmSize", "Standard_D2s_v3");
    cJSON_AddStringToObject(e, "resourceGroup", "rg");
    cJSON_AddNumberToObject(e, "createdOn", 1600000000000.0 + (double)i);
    cJSON_AddBoolToObject(e, "active", 1);
    cJSON_AddStringToObject(e, "webLink", "https://portal.azure.com/#@example.onmicrosoft.com/resource");
    cJSON_AddStringToObject(e, "tag.env", "prod");
    cJSON *raw = cJSON_AddArrayToObject(e, "_rawData");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToArray(raw, d);
    cJSON_AddStringToObject(d, "name", "default");
    cJSON *rd = cJSON_AddObjectToObject(d, "rawData");
    cJSON_AddStringToObject(rd, "id", key);
    cJSON_AddStringToObject(rd, "name", name);
    cJSON_AddStringToObject(rd, "location", "eastus");
    return e;
}

static cJSON *make_relationship(long i, long entities)
{
    char from[256], to[256], key[600];
    vm_key(from, sizeof from, i % entities);
    vm_key(to, sizeof to, (i / 2 + 1) % entities);
    snprintf(key, sizeof key, "%s|uses|%s|%ld", from, to, i);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "_key", key);
    cJSON_AddStringToObject(r, "_type", "azure_vm_uses_vm");
    cJSON_AddStringToObject(r, "_class", "USES");
    cJSON_AddStringToObject(r, "_fromEntityKey", from);
    cJSON_AddStringToObject(r, "_toEntityKey", to);
    cJSON_AddStringToObject(r, "displayName", "USES");
    return r;
}

int main(int argc, char **argv)
{
    long entities = 1000000, relationships = 2000000;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--entities") == 0 && i + 1 < argc)
            entities = atol(argv[++i]);
        else if (strcmp(argv[i], "--relationships") == 0 && i + 1 < argc)
            relationships = atol(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
            keep = argv[++i];
        else {
            fprintf(stderr, "usage: store_bench [--entities N] [--relationships M] [--keep DIR]\n");
            return 64;
        }
    }
    if (entities < 1 || relationships < 0) {
        fprintf(stderr, "store_bench: --entities must be >= 1\n");
        return 64;
    }
    char tmp[] = "/tmp/store-bench-XXXXXX";
    const char *root = keep;
    if (!root) {
        if (!mkdtemp(tmp)) {
            perror("mkdtemp");
            return 1;
        }
        root = tmp;
    }
    err_info err = {0};
    sdk_writer *w = NULL;
    if (sdk_writer_new(root, &w, &err) != 0) {
        fprintf(stderr, "store_bench: %s\n", err.message);
        return 1;
    }
    graph_sink sink = sdk_writer_sink(w);
    graph_store *s = graph_store_new(&sink, NULL, &err);
    if (!s) {
        fprintf(stderr, "store_bench: %s\n", err.message);
        return 1;
    }
    int64_t t0 = timefmt_monotonic_ms();
    long failures = 0;
    for (long i = 0; i < entities; i++)
        if (graph_store_add(s, "bench-entities", GRAPH_ENTITIES, make_entity(i), &err) != 0)
            failures++;
    for (long i = 0; i < relationships; i++)
        if (graph_store_add(s, "bench-relationships", GRAPH_RELATIONSHIPS,
                            make_relationship(i, entities), &err) != 0)
            failures++;
    if (graph_store_flush(s, NULL, &err) != 0)
        failures++;
    const char *summary = "{\"integrationStepResults\":[],\"metadata\":{\"partialDatasets\":{\"types\":[]}}}";
    if (sink.finish(sink.ctx, NULL, 0, summary, &err) != 0)
        failures++;
    int64_t ms = timefmt_monotonic_ms() - t0;
    graph_store_stats st;
    graph_store_get_stats(s, &st);
    unsigned long files = sdk_writer_files(w);
    graph_store_free(s);
    sdk_writer_free(w);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = (double)ru.ru_maxrss / 1024.0;
    double total = (double)(entities + relationships);
    double rate = total / ((double)(ms > 0 ? ms : 1) / 1000.0);
    printf("store_bench: %ld entities + %ld relationships through graph_store + sdk_writer\n",
           entities, relationships);
    printf("  stored:     %llu entities, %llu relationships, %lu files, %ld failures\n",
           (unsigned long long)st.entities, (unsigned long long)st.relationships, files, failures);
    printf("  elapsed:    %.2f s\n", (double)ms / 1000.0);
    printf("  throughput: %.0f objects/s  (target >= %.0f; ratio %.2f)\n", rate,
           TARGET_OBJECTS_PER_S, rate / TARGET_OBJECTS_PER_S);
    printf("  peak RSS:   %.1f MB  (target <= %.0f; ratio %.2f of the limit)\n", rss_mb,
           TARGET_RSS_MB, rss_mb / TARGET_RSS_MB);
    if (!keep) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "store_bench: could not remove %s\n", tmp);
    }
    return failures ? 1 : 0;
}

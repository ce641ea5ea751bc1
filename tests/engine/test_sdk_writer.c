/* sdk_writer: layout (one _type per file, <= 500 objects, index links,
 * nothing else under graph/), summary.json, an earlier output deleted at
 * start, anything else refused;
 * driven through graph store + runner as `collect` does. */
#include "common/json.h"
#include "engine/graph_store.h"
#include "engine/runner.h"
#include "engine/sdk_writer.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static int produce(step_ctx *ctx, err_info *err)
{
    const step_def *d = step_current(ctx);
    char key[64], other[64];
    for (int i = 0; i < 1203; i++) {
        snprintf(key, sizeof key, "/subscriptions/s/%s-%04d", d->id, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "_key", key);
        cJSON_AddStringToObject(e, "_type", d->entities[0].type);
        cJSON *c = cJSON_AddArrayToObject(e, "_class");
        cJSON_AddItemToArray(c, cJSON_CreateString("Resource"));
        cJSON_AddStringToObject(e, "name", "n");
        cJSON_AddStringToObject(e, "displayName", "n");
        if (step_add_entity(ctx, e, err) != 0)
            return -1;
        if (i > 0) {
            snprintf(other, sizeof other, "/subscriptions/s/%s-%04d", d->id, i - 1);
            cJSON *r = cJSON_CreateObject();
            char rk[160];
            snprintf(rk, sizeof rk, "%s|has|%s", other, key);
            cJSON_AddStringToObject(r, "_key", rk);
            cJSON_AddStringToObject(r, "_type", d->relationships[0].type);
            cJSON_AddStringToObject(r, "_class", "HAS");
            cJSON_AddStringToObject(r, "_fromEntityKey", other);
            cJSON_AddStringToObject(r, "_toEntityKey", key);
            cJSON_AddStringToObject(r, "displayName", "HAS");
            if (step_add_relationship(ctx, r, err) != 0)
                return -1;
        }
    }
    if (d->arg)
        return err_set(err, ERR_UPSTREAM, "injected");
    return 0;
}

static const int fail = 1;
static const step_def s_ok = {.id = "step-ok", .name = "OK", .run = produce,
                              .entities = {{"[T] A", "t_a", {"Resource"}}},
                              .relationships = {{"t_a_has_a", "HAS", "t_a", "t_a"}}};
static const step_def s_bad = {.id = "step-bad", .name = "Bad", .run = produce, .arg = &fail,
                               .entities = {{"[T] B", "t_b", {"Resource"}}},
                               .relationships = {{"t_b_has_b", "HAS", "t_b", "t_b"}}};

typedef struct walk {
    size_t files, entities, relationships, links, max_per_file;
    bool bad;
} walk;

static walk g_walk;

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag == FTW_SL) {
        g_walk.links++;
        char real[PATH_MAX];
        if (!realpath(path, real))
            g_walk.bad = true;
        return 0;
    }
    if (flag != FTW_F || !strstr(path, "/graph/"))
        return 0;
    g_walk.files++;
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j) {
        g_walk.bad = true;
        return 0;
    }
    const cJSON *arr = json_get(j, "entities");
    bool ents = arr != NULL;
    if (!arr)
        arr = json_get(j, "relationships");
    if (!arr || cJSON_GetArraySize(j) != 1 || !strstr(path, ents ? "/entities/" : "/relationships/"))
        g_walk.bad = true;
    size_t count = (size_t)cJSON_GetArraySize(arr);
    if (count > g_walk.max_per_file)
        g_walk.max_per_file = count;
    const char *type = json_get_string(cJSON_GetArrayItem(arr, 0), "_type");
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
        if (!type || strcmp(json_get_string(o, "_type"), type) != 0)
            g_walk.bad = true;
    if (ents)
        g_walk.entities += count;
    else
        g_walk.relationships += count;
    cJSON_Delete(j);
    return 0;
}

static void test_layout_and_summary(void **state)
{
    (void)state;
    char root[] = "/tmp/ai-sdkw-XXXXXX";
    assert_non_null(mkdtemp(root));
    /* an earlier output */
    char stale[PATH_MAX];
    snprintf(stale, sizeof stale, "%s/graph", root);
    assert_int_equal(mkdir(stale, 0755), 0);
    snprintf(stale, sizeof stale, "%s/graph/old-step.json", root);
    FILE *f = fopen(stale, "w");
    fputs("x", f);
    fclose(f);

    sdk_writer *w = NULL;
    err_info err = {0};
    assert_int_equal(sdk_writer_new(root, &w, &err), 0);
    assert_int_not_equal(access(stale, F_OK), 0); /* deleted at start */
    graph_sink sink = sdk_writer_sink(w);
    graph_store *store = graph_store_new(&sink, NULL, &err);
    const step_def *table[] = {&s_ok, &s_bad};
    runner_config cfg = {.table = table, .count = 2, .store = store, .sink = &sink};
    runner *r = runner_new(&cfg, &err);
    assert_int_equal(runner_run(r, &err), RUNNER_PARTIAL);

    memset(&g_walk, 0, sizeof g_walk);
    assert_int_equal(nftw(root, visit, 32, FTW_PHYS), 0);
    assert_false(g_walk.bad);
    assert_int_equal(g_walk.entities, 2 * 1203);
    assert_int_equal(g_walk.relationships, 2 * 1202);
    assert_int_equal(g_walk.max_per_file, 500);
    assert_int_equal(g_walk.links, g_walk.files);
    assert_int_equal(g_walk.files, sdk_writer_files(w));

    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/summary.json", root);
    f = fopen(path, "rb");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *sum = cJSON_Parse(buf);
    assert_non_null(sum);
    const cJSON *types = json_path(sum, "metadata.partialDatasets.types");
    assert_int_equal(cJSON_GetArraySize(types), 2);
    assert_string_equal(cJSON_GetArrayItem(types, 0)->valuestring, "t_b");
    assert_string_equal(cJSON_GetArrayItem(types, 1)->valuestring, "t_b_has_b");
    const cJSON *first = cJSON_GetArrayItem(json_get(sum, "integrationStepResults"), 0);
    assert_string_equal(json_get_string(first, "status"), "success");
    double cnt;
    assert_true(json_get_number(json_get(first, "encounteredTypeCounts"), "t_a", &cnt) && cnt == 1203);
    cJSON_Delete(sum);

    runner_free(r);
    graph_store_free(store);
    sdk_writer_free(w);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

static void test_refuses_root(void **state)
{
    (void)state;
    sdk_writer *w = NULL;
    err_info err = {0};
    assert_int_equal(sdk_writer_new("/", &w, &err), -1);
    assert_int_equal(sdk_writer_new("", &w, &err), -1);
    assert_null(w);
}

/* --output names any path: what collect did not write is never deleted. */
static void test_refuses_foreign_output(void **state)
{
    (void)state;
    char root[] = "/tmp/ai-sdkw-XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/summary.json", root);
    FILE *f = fopen(path, "w");
    fputs("{}", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/notes.txt", root);
    f = fopen(path, "w");
    fputs("mine", f);
    fclose(f);
    sdk_writer *w = NULL;
    err_info err = {0};
    assert_int_equal(sdk_writer_new(root, &w, &err), -1);
    assert_null(w);
    assert_non_null(strstr(err.message, "notes.txt"));
    assert_int_equal(access(path, F_OK), 0);
    /* a file */
    err_clear(&err);
    assert_int_equal(sdk_writer_new(path, &w, &err), -1);
    assert_int_equal(access(path, F_OK), 0);
    /* a symbolic link to a directory */
    char link[PATH_MAX + 8];
    snprintf(link, sizeof link, "%s-link", root);
    assert_int_equal(symlink(root, link), 0);
    err_clear(&err);
    assert_int_equal(sdk_writer_new(link, &w, &err), -1);
    assert_int_equal(access(path, F_OK), 0);
    unlink(link);
    /* an empty directory is fine */
    char empty[PATH_MAX];
    snprintf(empty, sizeof empty, "%s/empty", root);
    assert_int_equal(mkdir(empty, 0755), 0);
    err_clear(&err);
    assert_int_equal(sdk_writer_new(empty, &w, &err), 0);
    sdk_writer_free(w);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_summary),
        cmocka_unit_test(test_refuses_root),
        cmocka_unit_test(test_refuses_foreign_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * document: see document.h.  Rows are collected into a small table of
 * cells, de-duplicated by _type (the first declaration wins, as in the SDK),
 * sorted, then printed with every column padded to its widest cell.
 * Entities sort by resource name, relationships by _type, both in byte
 * order, which is the order of the seed's generated section.
 */
#include "engine/document.h"

#include "common/sbuf.h"
#include "engine/relationship.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DOC_COLS 4

typedef struct row {
    char *cell[DOC_COLS];
    const char *sort;  /* points into a cell or a decl */
} row;

typedef struct rows {
    row *v;
    size_t n, cap;
} rows;

static const char k_head[] =
    "<!--\n"
    "********************************************************************************\n"
    "NOTE: ALL OF THE FOLLOWING DOCUMENTATION IS GENERATED USING THE\n"
    "\"j1-integration document\" COMMAND. DO NOT EDIT BY HAND! PLEASE SEE THE DEVELOPER\n"
    "DOCUMENTATION FOR USAGE INFORMATION:\n"
    "\n"
    "https://github.com/JupiterOne/sdk/blob/master/docs/integrations/development.md\n"
    "********************************************************************************\n"
    "-->\n"
    "\n"
    "## Data Model\n";

static const char k_tail[] =
    "<!--\n"
    "********************************************************************************\n"
    "END OF GENERATED DOCUMENTATION AFTER BELOW MARKER\n"
    "********************************************************************************\n"
    "-->\n";

static char *fmt(const char *f, const char *a, const char *b)
{
    size_t n = strlen(f) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, f, a, b ? b : "");
    return s;
}

static int push(rows *r, char **cells, const char *sort)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        row *nv = realloc(r->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        r->v = nv;
        r->cap = nc;
    }
    row *x = &r->v[r->n++];
    memset(x, 0, sizeof *x);
    for (size_t i = 0; i < DOC_COLS; i++)
        x->cell[i] = cells[i];
    x->sort = sort;
    return 0;
}

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        for (size_t c = 0; c < DOC_COLS; c++)
            free(r->v[i].cell[c]);
    free(r->v);
}

static bool seen(const char **types, size_t n, const char *t)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(types[i], t) == 0)
            return true;
    return false;
}

static int cmp_exact(const void *a, const void *b)
{
    const row *x = a, *y = b;
    return strcmp(x->sort, y->sort);
}

static void print_table(sbuf *out, const char *const *head, size_t ncols, const rows *r)
{
    size_t w[DOC_COLS] = {0};
    for (size_t c = 0; c < ncols; c++) {
        w[c] = strlen(head[c]);
        for (size_t i = 0; i < r->n; i++)
            if (strlen(r->v[i].cell[c]) > w[c])
                w[c] = strlen(r->v[i].cell[c]);
    }
    for (size_t line = 0; line < r->n + 2; line++) {
        sbuf_puts(out, "|");
        for (size_t c = 0; c < ncols; c++) {
            const char *cell = line == 0 ? head[c] : line == 1 ? NULL : r->v[line - 2].cell[c];
            sbuf_puts(out, " ");
            size_t len = cell ? strlen(cell) : 0;
            if (cell)
                sbuf_puts(out, cell);
            for (size_t k = len; k < w[c]; k++)
                sbuf_puts(out, cell ? " " : "-");
            sbuf_puts(out, " |");
        }
        sbuf_puts(out, "\n");
    }
}

char *document_generate(const step_def *const *table, size_t count)
{
    rows ents = {0}, rels = {0};
    const char **types = calloc(count * STEP_MAX_TYPES * 4 + 1, sizeof *types);
    size_t ntypes = 0;
    bool ok = types != NULL;
    for (size_t s = 0; ok && s < count; s++) {
        const step_def *d = table[s];
        for (size_t i = 0; ok && i < STEP_MAX_TYPES && d->entities[i].type; i++) {
            const step_entity_decl *e = &d->entities[i];
            if (seen(types, ntypes, e->type))
                continue;
            types[ntypes++] = e->type;
            sbuf cls;
            sbuf_init(&cls);
            for (size_t c = 0; c < STEP_MAX_CLASSES && e->classes[c]; c++) {
                sbuf_puts(&cls, c ? ", `" : "`");
                sbuf_puts(&cls, e->classes[c]);
                sbuf_puts(&cls, "`");
            }
            char *cells[DOC_COLS] = {strdup(e->resource_name ? e->resource_name : e->type),
                                     fmt("`%s`", e->type, NULL), sbuf_take(&cls), NULL};
            ok = cells[0] && cells[1] && cells[2] && push(&ents, cells, cells[0]) == 0;
        }
        for (size_t i = 0; ok && i < STEP_MAX_TYPES; i++) {
            const step_relationship_decl *r = &d->relationships[i];
            if (!r->type || seen(types, ntypes, r->type))
                continue;
            types[ntypes++] = r->type;
            char *cells[DOC_COLS] = {fmt("`%s`", r->source_type, NULL),
                                     fmt("**%s**", r->class_name, NULL),
                                     fmt("`%s`", r->target_type, NULL), NULL};
            ok = cells[0] && cells[1] && cells[2] && push(&rels, cells, r->type) == 0;
        }
        for (size_t i = 0; ok && i < STEP_MAX_TYPES; i++) {
            const step_relationship_decl *r = &d->mapped_relationships[i];
            if (!r->type || seen(types, ntypes, r->type))
                continue;
            /* A mapped relationship's runtime _type is the SDK's
             * "mapping_source_..." form; the step metadata the SDK documents
             * (and sorts by) carries the generated source/class/target type. */
            char *cells[DOC_COLS] = {fmt("`%s`", r->source_type, NULL),
                                     fmt("**%s**", r->class_name, NULL),
                                     fmt("`%s`", r->target_type, NULL),
                                     relationship_generate_type(r->class_name, r->source_type,
                                                                r->target_type)};
            if (cells[3] && seen(types, ntypes, cells[3])) {
                /* also declared as a direct relationship (one row) */
                for (size_t c = 0; c < DOC_COLS; c++)
                    free(cells[c]);
                continue;
            }
            types[ntypes++] = r->type;
            if (cells[3])
                types[ntypes++] = cells[3];
            ok = cells[0] && cells[1] && cells[2] && cells[3] &&
                 push(&rels, cells, cells[3]) == 0;
        }
    }
    char *text = NULL;
    if (ok) {
        if (ents.n)
            qsort(ents.v, ents.n, sizeof *ents.v, cmp_exact);
        if (rels.n)
            qsort(rels.v, rels.n, sizeof *rels.v, cmp_exact);
        sbuf out;
        sbuf_init(&out);
        sbuf_puts(&out, k_head);
        sbuf_puts(&out, "\n### Entities\n\nThe following entities are created:\n\n");
        static const char *const eh[] = {"Resources", "Entity `_type`", "Entity `_class`"};
        print_table(&out, eh, 3, &ents);
        static const char *const rh[] = {"Source Entity `_type`", "Relationship `_class`",
                                         "Target Entity `_type`"};
        if (rels.n > 0) {
            sbuf_puts(&out,
                      "\n### Relationships\n\nThe following relationships are created/mapped:\n\n");
            print_table(&out, rh, 3, &rels);
        }
        sbuf_puts(&out, "\n");
        sbuf_puts(&out, k_tail);
        text = sbuf_take(&out);
    }
    rows_free(&ents);
    rows_free(&rels);
    free(types);
    return text;
}

char *document_extract(const char *markdown)
{
    static const char start[] = "<!-- {J1_DOCUMENTATION_MARKER_START} -->\n";
    static const char end[] = "<!-- {J1_DOCUMENTATION_MARKER_END} -->";
    const char *a = strstr(markdown, start);
    if (!a)
        return NULL;
    a += strlen(start);
    const char *b = strstr(a, end);
    if (!b)
        return NULL;
    return strndup(a, (size_t)(b - a));
}

/*
 * fake_azure_gen: a synthesized tenant of a given size, generated on the
 * fly (no list is ever materialized: item i of any collection is a pure
 * function of i, so a 500,000-membership tenant costs no memory).
 *
 * Graph (/v1.0): organization, the security-defaults policy, users, groups,
 * servicePrincipals (100 per
 * page, $top honoured up to 999, @odata.nextLink with $skiptoken), and
 * groups/{id}/members.  Memberships are spread round-robin over the groups
 * (group g has members k = 0.. of member index g + k*groups); every 50th
 * member is a nested group, every 97th a service principal, the rest users,
 * without repeats inside a group.
 *
 * ARM: /subscriptions (and /{id}), /locations, /resourcegroups, and every
 * type of fake_gen_types[] at subscription and resource-group scope, 1000
 * per page with nextLink ($skiptoken); a row "{ns}/{type}/{child}" is a
 * child collection of each {type} resource (one item per parent; {child}
 * may have several segments, e.g. "blobServices/default/containers");
 * /subscriptions/{s}/resources?$filter=resourceType eq '{ns}/{type}' lists
 * the resources of one row.  Storage data plane: /__storage/{account}/
 * {blob|queue}/ answers service properties (XML).
 *
 * Throttling (when enabled): token buckets like Azure's, each scoped to
 * the principal the bearer token was issued to (Azure scopes its limits
 * to the security principal and the subscription or tenant). ARM: per
 * subscription (tenant-level calls share one bucket), burst 250, refill 25
 * per second, answers carry x-ms-ratelimit-remaining-subscription-reads;
 * Graph: per tenant, burst 8000, refill 800 per second (Graph's
 * "8,000 resource units per 10 s" tier; both settable for tests).  An empty bucket answers 429 with
 * Retry-After (whole seconds until a token is back).
 */
#include "fakes/fake_azure_internal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GRAPH_PAGE_DEFAULT 100
#define GRAPH_PAGE_MAX 999
#define ARM_PAGE 1000

typedef struct gen_bucket {
    char scope[160];
    bool graph;
    double tokens;
    double last_s;
    int64_t answered;
} gen_bucket;

struct fake_gen {
    fake_azure_tenant t;
    char base[64];
    bool throttle;
    double graph_burst, graph_refill;
    pthread_mutex_t mu;
    gen_bucket *buckets;
    size_t nbuckets, capbuckets;
};

enum { K_USER = 1, K_GROUP, K_SP, K_SUB, K_RG, K_ORG };

static void guid(char out[37], int kind, long i) {
    snprintf(out, 37, "%08x-0000-4000-8000-%012lx", (unsigned)kind, (unsigned long)i);
}

/* Parses a generated guid back: returns the index or -1. */
static long guid_index(const char *s, int kind) {
    unsigned k;
    unsigned long i;
    char tail;
    if (strlen(s) != 36) return -1;
    if (sscanf(s, "%8x-0000-4000-8000-%12lx%c", &k, &i, &tail) != 2) return -1;
    return (int)k == kind ? (long)i : -1;
}

fake_gen *fake_gen_new(const fake_azure_tenant *tenant, const char *base_url, bool throttle,
                       int graph_burst, int graph_refill_per_s) {
    fake_gen *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->t = *tenant;
    if (g->t.subscriptions < 0) g->t.subscriptions = 0;
    if (g->t.resource_groups <= 0) g->t.resource_groups = 1;
    snprintf(g->base, sizeof g->base, "%s", base_url);
    g->throttle = throttle;
    g->graph_burst = graph_burst > 0 ? graph_burst : 8000;
    g->graph_refill = graph_refill_per_s > 0 ? graph_refill_per_s : 800;
    pthread_mutex_init(&g->mu, NULL);
    return g;
}

void fake_gen_free(fake_gen *g) {
    if (!g) return;
    pthread_mutex_destroy(&g->mu);
    free(g->buckets);
    free(g);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Takes a token; returns -1 if allowed (remaining in *left) else seconds to wait. */
static int bucket_take(fake_gen *g, const char *scope, bool graph, double burst, double rate,
                       long *left) {
    int wait = -1;
    pthread_mutex_lock(&g->mu);
    gen_bucket *b = NULL;
    for (size_t i = 0; i < g->nbuckets; i++)
        if (strcmp(g->buckets[i].scope, scope) == 0) b = &g->buckets[i];
    if (!b) {
        if (g->nbuckets == g->capbuckets) {
            size_t cap = g->capbuckets ? g->capbuckets * 2 : 8;
            gen_bucket *nb = realloc(g->buckets, cap * sizeof *nb);
            if (!nb) {
                pthread_mutex_unlock(&g->mu);
                return -1;
            }
            g->buckets = nb;
            g->capbuckets = cap;
        }
        b = &g->buckets[g->nbuckets++];
        snprintf(b->scope, sizeof b->scope, "%s", scope);
        b->graph = graph;
        b->answered = 0;
        b->tokens = burst;
        b->last_s = now_s();
    }
    double t = now_s();
    b->tokens += (t - b->last_s) * rate;
    if (b->tokens > burst) b->tokens = burst;
    b->last_s = t;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        b->answered++;
        *left = (long)b->tokens;
    } else {
        wait = (int)((1.0 - b->tokens) / rate) + 1;
        *left = 0;
    }
    pthread_mutex_unlock(&g->mu);
    return wait;
}

void fake_gen_bucket_max(fake_gen *g, int64_t *arm_reads, int64_t *graph_reads) {
    *arm_reads = *graph_reads = 0;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->nbuckets; i++) {
        int64_t *m = g->buckets[i].graph ? graph_reads : arm_reads;
        if (g->buckets[i].answered > *m) *m = g->buckets[i].answered;
    }
    pthread_mutex_unlock(&g->mu);
}

/* ---- paging helpers ---- */

typedef void (*item_fn)(fake_gen *g, sbuf *o, long i, const void *ctx);

static long skip_of(const fake_request *r) {
    const char *s = fake_request_param(r, "$skiptoken");
    return s ? atol(s) : 0;
}

/* Graph's $select on the item written at o[start..]: only the listed
 * properties stay, and @odata.type, which Graph returns on directory
 * objects whatever is selected (see the iterateGroupMembersSelect*
 * recordings). */
static void apply_select(sbuf *o, size_t start, const char *select) {
    cJSON *item = cJSON_ParseWithLength(o->data + start, o->len - start);
    cJSON *kept = cJSON_CreateObject();
    const cJSON *m;
    cJSON_ArrayForEach(m, item) {
        bool keep = strcmp(m->string, "@odata.type") == 0;
        size_t nl = strlen(m->string);
        for (const char *p = select; !keep && *p;) {
            const char *comma = strchr(p, ',');
            size_t l = comma ? (size_t)(comma - p) : strlen(p);
            keep = l == nl && strncmp(p, m->string, l) == 0;
            p += l + (comma ? 1 : 0);
        }
        if (keep) cJSON_AddItemToObject(kept, m->string, cJSON_Duplicate(m, 1));
    }
    char *text = item ? cJSON_PrintUnformatted(kept) : NULL;
    if (text) {
        o->len = start;
        sbuf_puts(o, text);
    }
    cJSON_free(text);
    cJSON_Delete(kept);
    cJSON_Delete(item);
}

static void page(fake_gen *g, const fake_request *r, fake_answer *a, bool graph, long total,
                 item_fn fn, const void *ctx, const char *path_for_next) {
    const char *select = graph ? fake_request_param(r, "$select") : NULL;
    long size = graph ? GRAPH_PAGE_DEFAULT : ARM_PAGE;
    const char *top = fake_request_param(r, "$top");
    if (graph && top && atol(top) > 0) size = atol(top) > GRAPH_PAGE_MAX ? GRAPH_PAGE_MAX : atol(top);
    long from = skip_of(r);
    if (from < 0) from = 0;
    long to = from + size < total ? from + size : total;
    sbuf *o = &a->body;
    sbuf_puts(o, graph ? "{\"@odata.context\":\"fake\",\"value\":[" : "{\"value\":[");
    for (long i = from; i < to; i++) {
        if (i > from) sbuf_putc(o, ',');
        size_t start = o->len;
        fn(g, o, i, ctx);
        if (select && *select) apply_select(o, start, select);
    }
    sbuf_putc(o, ']');
    if (to < total) {
        sbuf_printf(o, ",\"%s\":\"%s%s?", graph ? "@odata.nextLink" : "nextLink", g->base,
                    path_for_next);
        bool first = true;
        for (size_t i = 0; i < r->nparams; i++) {
            if (strcmp(r->params[i].key, "$skiptoken") == 0) continue;
            if (!first) sbuf_putc(o, '&');
            first = false;
            sbuf_urlencode(o, r->params[i].key);
            sbuf_putc(o, '=');
            sbuf_urlencode(o, r->params[i].value);
        }
        sbuf_printf(o, "%s$skiptoken=%ld\"", first ? "" : "&", to);
    }
    sbuf_putc(o, '}');
    a->status = 200;
}

/* ---- Graph items ---- */

static void user_item(fake_gen *g, sbuf *o, long i, const void *ctx) {
    (void)g;
    (void)ctx;
    char id[37];
    guid(id, K_USER, i);
    sbuf_printf(o,
                "{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"%s\",\"displayName\":"
                "\"User %ld\",\"givenName\":\"User\",\"surname\":\"%ld\",\"userPrincipalName\":"
                "\"user%ld@fake.onmicrosoft.com\",\"mail\":\"user%ld@fake.example\","
                "\"jobTitle\":\"Engineer\",\"mobilePhone\":null,\"officeLocation\":\"Floor %ld\","
                "\"preferredLanguage\":\"en-US\",\"businessPhones\":[],\"accountEnabled\":true,"
                "\"userType\":\"Member\"}",
                id, i, i, i, i, i % 10);
}

static void group_item(fake_gen *g, sbuf *o, long i, const void *ctx) {
    (void)g;
    (void)ctx;
    char id[37];
    guid(id, K_GROUP, i);
    sbuf_printf(o,
                "{\"@odata.type\":\"#microsoft.graph.group\",\"id\":\"%s\",\"displayName\":"
                "\"Group %ld\",\"description\":\"generated group\",\"mail\":null,"
                "\"mailEnabled\":false,\"mailNickname\":\"group%ld\",\"securityEnabled\":true,"
                "\"groupTypes\":[],\"classification\":null,\"createdDateTime\":"
                "\"2020-01-01T00:00:00Z\",\"deletedDateTime\":null,\"renewedDateTime\":"
                "\"2020-01-01T00:00:00Z\",\"visibility\":null}",
                id, i, i);
}

static void sp_item(fake_gen *g, sbuf *o, long i, const void *ctx) {
    (void)g;
    (void)ctx;
    char id[37], app[37];
    guid(id, K_SP, i);
    guid(app, K_SP + 100, i);
    sbuf_printf(o,
                "{\"@odata.type\":\"#microsoft.graph.servicePrincipal\",\"id\":\"%s\",\"appId\":"
                "\"%s\",\"displayName\":\"App %ld\",\"appDisplayName\":\"App %ld\","
                "\"servicePrincipalType\":\"Application\",\"accountEnabled\":true,"
                "\"servicePrincipalNames\":[\"%s\"],\"tags\":[],\"appOwnerOrganizationId\":null}",
                id, app, i, i, app);
}

static long members_of(const fake_gen *g, long group) {
    if (g->t.groups <= 0 || group >= g->t.groups) return 0;
    long base = g->t.members / g->t.groups;
    return base + (group < g->t.members % g->t.groups ? 1 : 0);
}

static void member_item(fake_gen *g, sbuf *o, long k, const void *ctx) {
    long group = *(const long *)ctx;
    long m = group + k * (long)g->t.groups;   /* membership index */
    /* Position k of a group picks its member from a run starting at a
     * group-dependent offset, so a group never lists the same object twice
     * (while it has fewer members than objects of that kind). */
    if (m % 50 == 49 && g->t.groups > 1) {
        /* Any group but itself: g+1 .. g+groups-1, modulo. */
        long child = (group + 1 + k % (g->t.groups - 1)) % g->t.groups;
        group_item(g, o, child, NULL);
    } else if (m % 97 == 96 && g->t.service_principals > 0) {
        sp_item(g, o, (group * 31 + k) % g->t.service_principals, NULL);
    } else if (g->t.users > 0) {
        user_item(g, o, (group * 7919 + k) % g->t.users, NULL);
    } else {
        sbuf_puts(o, "{\"@odata.type\":\"#microsoft.graph.device\",\"id\":\"00000000-0000-"
                     "0000-0000-000000000000\",\"displayName\":\"device\"}");
    }
}

/* ---- ARM items ---- */

static void sub_item(fake_gen *g, sbuf *o, long i, const void *ctx) {
    (void)g;
    (void)ctx;
    char id[37];
    guid(id, K_SUB, i);
    sbuf_printf(o,
                "{\"id\":\"/subscriptions/%s\",\"subscriptionId\":\"%s\",\"tenantId\":"
                "\"00000006-0000-4000-8000-000000000000\",\"displayName\":\"Subscription %ld\","
                "\"state\":\"Enabled\",\"subscriptionPolicies\":{\"locationPlacementId\":"
                "\"Public_2014-09-01\",\"quotaId\":\"PayAsYouGo_2014-09-01\",\"spendingLimit\":"
                "\"Off\"},\"authorizationSource\":\"RoleBased\"}",
                id, id, i);
}

static void rg_item(fake_gen *g, sbuf *o, long i, const void *ctx) {
    (void)g;
    const char *sub = ctx;
    sbuf_printf(o,
                "{\"id\":\"/subscriptions/%s/resourceGroups/rg-%ld\",\"name\":\"rg-%ld\","
                "\"type\":\"Microsoft.Resources/resourceGroups\",\"location\":\"eastus\","
                "\"tags\":{\"env\":\"test\"},\"properties\":{\"provisioningState\":"
                "\"Succeeded\"}}",
                sub, i, i);
}

typedef struct res_ctx {
    const fake_gen_type *type;
    const char *sub;
    long rg;          /* -1 = every resource group */
} res_ctx;

static void res_item(fake_gen *g, sbuf *o, long i, const void *ctx) {
    const res_ctx *rc = ctx;
    long idx = rc->rg < 0 ? i : rc->rg + i * (long)g->t.resource_groups;
    long rg = idx % g->t.resource_groups;
    const char *slash = strchr(rc->type->provider_type, '/');
    const char *short_name = slash ? slash + 1 : rc->type->provider_type;
    char rgname[32], name[96];
    snprintf(rgname, sizeof rgname, "rg-%ld", rg);
    snprintf(name, sizeof name, "%.40s-%ld", short_name, idx);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    sbuf id = SBUF_INIT;
    sbuf_printf(&id, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s", rc->sub, rgname,
                rc->type->provider_type, name);
    sbuf_printf(o, "{\"id\":\"%s\",\"name\":\"%s\",\"type\":\"%s\",\"location\":\"eastus\","
                   "\"tags\":{\"env\":\"test\",\"index\":\"%ld\"},\"properties\":",
                sbuf_str(&id), name, rc->type->provider_type, idx);
    fake_gen_item_ctx ic = {.subscription_id = rc->sub, .resource_group = rgname, .index = (int)idx};
    rc->type->build(o, &ic, sbuf_str(&id));
    sbuf_putc(o, '}');
    sbuf_free(&id);
}

static long res_count(const fake_gen *g, long rg) {
    long total = g->t.resources;
    if (rg < 0) return total;
    long per = total / g->t.resource_groups;
    return per + (rg < total % g->t.resource_groups ? 1 : 0);
}

/* ---- dispatch ---- */

#define MAX_SEGS 12

static size_t split(char *path, char **segs) {
    size_t n = 0;
    char *save = NULL;
    for (char *s = strtok_r(path, "/", &save); s && n < MAX_SEGS; s = strtok_r(NULL, "/", &save))
        segs[n++] = s;
    return n;
}

static bool eq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

static const fake_gen_type *type_of(const char *ns, const char *type) {
    for (size_t i = 0; i < fake_gen_type_count; i++) {
        const char *pt = fake_gen_types[i].provider_type;
        size_t nl = strlen(ns);
        if (strncasecmp(pt, ns, nl) == 0 && pt[nl] == '/' && eq(pt + nl + 1, type))
            return &fake_gen_types[i];
    }
    return NULL;
}

/* A row "{ns}/{type}/{child}" (e.g. "Microsoft.Compute/virtualMachines/
 * extensions"): served as GET .../providers/{ns}/{type}/{name}/{child}. */
static const fake_gen_type *child_type_of(const char *ns, const char *type, const char *child) {
    char want[256];
    snprintf(want, sizeof want, "%s/%s/%s", ns, type, child);
    for (size_t i = 0; i < fake_gen_type_count; i++)
        if (eq(fake_gen_types[i].provider_type, want)) return &fake_gen_types[i];
    return NULL;
}

typedef struct child_ctx {
    const fake_gen_type *type;
    const char *sub;
    const char *parent;   /* parent name as requested */
    long parent_idx;
    long rg;
} child_ctx;

/* The child of parent i: id {parent id}/{child}/{name}; the name repeats
 * across parents ({child}-{i % 4}: names are per parent in Azure, and
 * shared children such as VM extensions carry the same name). */
static void child_item(fake_gen *g, sbuf *o, long k, const void *ctx) {
    (void)g;
    (void)k;
    const child_ctx *cc = ctx;
    const char *pt = cc->type->provider_type;
    /* "{ns}/{type}/{child path}": the child path may have several segments
     * ("blobServices/default/containers"); the name is made of the last. */
    const char *child = strchr(strchr(pt, '/') + 1, '/') + 1;
    const char *last = strrchr(pt, '/') + 1;
    char rgname[32], name[96];
    snprintf(rgname, sizeof rgname, "rg-%ld", cc->rg);
    snprintf(name, sizeof name, "%.40s-%ld", last, cc->parent_idx % 4);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    sbuf id = SBUF_INIT;
    sbuf_printf(&id, "/subscriptions/%s/resourceGroups/%s/providers/%.*s/%s/%s/%s", cc->sub,
                rgname, (int)(child - 1 - pt), pt, cc->parent, child, name);
    sbuf_printf(o, "{\"id\":\"%s\",\"name\":\"%s\",\"type\":\"%s\",\"location\":\"eastus\","
                   "\"properties\":",
                sbuf_str(&id), name, pt);
    fake_gen_item_ctx ic = {.subscription_id = cc->sub, .resource_group = rgname,
                            .index = (int)cc->parent_idx};
    cc->type->build(o, &ic, sbuf_str(&id));
    sbuf_putc(o, '}');
    sbuf_free(&id);
}

static void not_found(fake_answer *a, const char *code) {
    a->status = 404;
    sbuf_printf(&a->body, "{\"error\":{\"code\":\"%s\",\"message\":\"not found\"}}", code);
}

static bool graph_answer(fake_gen *g, const fake_request *r, char **s, size_t n, fake_answer *a) {
    /* s[0] == "v1.0" */
    if (n == 2 && eq(s[1], "organization")) {
        sbuf_puts(&a->body,
                  "{\"value\":[{\"id\":\"00000006-0000-4000-8000-000000000000\",\"displayName\":"
                  "\"Fake Tenant\",\"verifiedDomains\":[{\"capabilities\":\"Email\",\"isDefault\":"
                  "true,\"isInitial\":true,\"name\":\"fake.onmicrosoft.com\",\"type\":"
                  "\"Managed\"}]}]}");
        a->status = 200;
        return true;
    }
    if (n == 3 && eq(s[1], "policies") && eq(s[2], "identitySecurityDefaultsEnforcementPolicy")) {
        sbuf_puts(&a->body,
                  "{\"id\":\"00000000-0000-0000-0000-000000000005\",\"displayName\":"
                  "\"Security Defaults\",\"description\":\"generated\",\"isEnabled\":true}");
        a->status = 200;
        return true;
    }
    if (n == 2 && eq(s[1], "users")) {
        page(g, r, a, true, g->t.users, user_item, NULL, "/v1.0/users");
        return true;
    }
    if (n == 2 && eq(s[1], "groups")) {
        page(g, r, a, true, g->t.groups, group_item, NULL, "/v1.0/groups");
        return true;
    }
    if (n == 2 && eq(s[1], "servicePrincipals")) {
        page(g, r, a, true, g->t.service_principals, sp_item, NULL, "/v1.0/servicePrincipals");
        return true;
    }
    if (n == 4 && eq(s[1], "groups") && eq(s[3], "members")) {
        long gi = guid_index(s[2], K_GROUP);
        if (gi < 0 || gi >= g->t.groups) {
            not_found(a, "Request_ResourceNotFound");
            return true;
        }
        char next[96];
        snprintf(next, sizeof next, "/v1.0/groups/%s/members", s[2]);
        page(g, r, a, true, members_of(g, gi), member_item, &gi, next);
        return true;
    }
    return false;
}

static bool arm_answer(fake_gen *g, const fake_request *r, char **s, size_t n, fake_answer *a) {
    if (n == 1) {
        page(g, r, a, false, g->t.subscriptions, sub_item, NULL, "/subscriptions");
        return true;
    }
    long si = guid_index(s[1], K_SUB);
    if (si < 0 || si >= g->t.subscriptions) {
        not_found(a, "SubscriptionNotFound");
        return true;
    }
    const char *sub = s[1];
    if (n == 2) {
        sub_item(g, &a->body, si, NULL);
        a->status = 200;
        return true;
    }
    if (n == 3 && eq(s[2], "locations")) {
        sbuf_puts(&a->body, "{\"value\":[");
        static const char *const locs[] = {"eastus", "westus", "westeurope"};
        for (size_t i = 0; i < 3; i++)
            sbuf_printf(&a->body,
                        "%s{\"id\":\"/subscriptions/%s/locations/%s\",\"name\":\"%s\","
                        "\"displayName\":\"%s\",\"regionalDisplayName\":\"%s\"}",
                        i ? "," : "", sub, locs[i], locs[i], locs[i], locs[i]);
        sbuf_puts(&a->body, "]}");
        a->status = 200;
        return true;
    }
    if (n == 3 && eq(s[2], "resourcegroups")) {
        char next[96];
        snprintf(next, sizeof next, "/subscriptions/%s/resourcegroups", sub);
        page(g, r, a, false, g->t.resource_groups, rg_item, sub, next);
        return true;
    }
    if (n == 3 && eq(s[2], "resources")) {
        /* generic resources of one type: $filter=resourceType eq '{ns}/{type}' */
        const char *f = fake_request_param(r, "$filter");
        const char *q = f ? strchr(f, '\'') : NULL;
        const char *slash = q ? strchr(q + 1, '/') : NULL;
        const char *end = slash ? strchr(slash + 1, '\'') : NULL;
        const fake_gen_type *t = NULL;
        if (end) {
            char ns[128], type[128];
            snprintf(ns, sizeof ns, "%.*s", (int)(slash - q - 1), q + 1);
            snprintf(type, sizeof type, "%.*s", (int)(end - slash - 1), slash + 1);
            t = type_of(ns, type);
        }
        res_ctx rc = {t, sub, -1};
        char next[96];
        snprintf(next, sizeof next, "/subscriptions/%s/resources", sub);
        page(g, r, a, false, t ? res_count(g, -1) : 0, res_item, &rc, next);
        return true;
    }
    /* /subscriptions/{s}[/resourceGroups/{rg}]/providers/{ns}/{type}[/{name}] */
    size_t p = 2;
    long rg = -1;
    if (n >= 4 && eq(s[2], "resourcegroups")) {
        if (strncasecmp(s[3], "rg-", 3) != 0) return false;
        rg = atol(s[3] + 3);
        if (rg < 0 || rg >= g->t.resource_groups) {
            not_found(a, "ResourceGroupNotFound");
            return true;
        }
        p = 4;
    }
    if (n < p + 3 || !eq(s[p], "providers")) return false;
    const fake_gen_type *t = type_of(s[p + 1], s[p + 2]);
    if (!t) return false;
    res_ctx rc = {t, sub, rg};
    if (n == p + 3) {
        sbuf next = SBUF_INIT;
        sbuf_printf(&next, "/subscriptions/%s", sub);
        if (rg >= 0) sbuf_printf(&next, "/resourceGroups/rg-%ld", rg);
        sbuf_printf(&next, "/providers/%s", t->provider_type);
        page(g, r, a, false, res_count(g, rg), res_item, &rc, sbuf_str(&next));
        sbuf_free(&next);
        return true;
    }
    if (n >= p + 5 && rg >= 0) {
        /* a child collection: one item per parent, see child_item */
        char child_path[192] = "";
        for (size_t k = p + 4; k < n; k++)
            snprintf(child_path + strlen(child_path), sizeof child_path - strlen(child_path),
                     "%s%s", k > p + 4 ? "/" : "", s[k]);
        const fake_gen_type *ct = child_type_of(s[p + 1], s[p + 2], child_path);
        const char *dash = strrchr(s[p + 3], '-');
        long idx = dash ? atol(dash + 1) : -1;
        if (!ct) return false;
        if (idx < 0 || idx >= g->t.resources || idx % g->t.resource_groups != rg) {
            not_found(a, "ParentResourceNotFound");
            return true;
        }
        child_ctx cc = {ct, sub, s[p + 3], idx, rg};
        sbuf_puts(&a->body, "{\"value\":[");
        child_item(g, &a->body, 0, &cc);
        sbuf_puts(&a->body, "]}");
        a->status = 200;
        return true;
    }
    if (n == p + 4 && rg >= 0) {
        const char *dash = strrchr(s[p + 3], '-');
        long idx = dash ? atol(dash + 1) : -1;
        if (idx < 0 || idx >= g->t.resources || idx % g->t.resource_groups != rg) {
            not_found(a, "ResourceNotFound");
            return true;
        }
        res_ctx one = {t, sub, -1};
        res_item(g, &a->body, idx, &one);
        a->status = 200;
        return true;
    }
    return false;
}

bool fake_gen_answer(fake_gen *g, const fake_request *r, fake_answer *a, bool *throttled) {
    *throttled = false;
    if (strcmp(r->method, "GET") != 0) return false;
    char *path = strdup(r->path);
    if (!path) return false;
    char *s[MAX_SEGS];
    size_t n = split(path, s);
    bool graph = n >= 1 && eq(s[0], "v1.0");
    bool arm = n >= 1 && eq(s[0], "subscriptions");
    bool handled = false;
    if (n == 3 && eq(s[0], "__storage") && (eq(s[2], "blob") || eq(s[2], "queue"))) {
        /* storage data plane (tests point the storage URL template at
         * <fake>/__storage/{account}/{service}): service properties */
        sbuf_puts(&a->body,
                  "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceProperties>"
                  "<Logging><Version>1.0</Version><Read>true</Read><Write>true</Write><Delete>"
                  "false</Delete><RetentionPolicy><Enabled>true</Enabled><Days>7</Days>"
                  "</RetentionPolicy></Logging><HourMetrics><Version>1.0</Version><Enabled>"
                  "false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy>"
                  "</HourMetrics><Cors />");
        if (eq(s[2], "blob"))
            sbuf_puts(&a->body, "<DeleteRetentionPolicy><Enabled>true</Enabled><Days>7</Days>"
                                "</DeleteRetentionPolicy>");
        sbuf_puts(&a->body, "</StorageServiceProperties>");
        snprintf(a->content_type, sizeof a->content_type, "application/xml");
        a->status = 200;
        free(path);
        return true;
    }
    if (graph || arm) {
        if (g->throttle) {
            long left = 0;
            char scope[160];
            snprintf(scope, sizeof scope, "%s %.100s", graph ? "graph" : (n >= 2 ? s[1] : "tenant"),
                     r->principal ? r->principal : "");
            int wait = graph ? bucket_take(g, scope, true, g->graph_burst, g->graph_refill, &left)
                             : bucket_take(g, scope, false, 250, 25, &left);
            if (!graph) {
                a->remaining_reads = left;
                snprintf(a->remaining_reads_text, sizeof a->remaining_reads_text, "%ld", left);
            }
            if (wait >= 0) {
                a->status = 429;
                snprintf(a->retry_after, sizeof a->retry_after, "%d", wait);
                sbuf_puts(&a->body, "{\"error\":{\"code\":\"TooManyRequests\",\"message\":"
                                    "\"The request is being throttled.\"}}");
                *throttled = true;
                free(path);
                return true;
            }
        }
        handled = graph ? graph_answer(g, r, s, n, a) : arm_answer(g, r, s, n, a);
    }
    free(path);
    return handled;
}

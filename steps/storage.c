/*
 * storage: storage accounts (with their blob / queue service properties
 * read from the data plane) and the containers, file shares, queues and
 * tables of every account (docs/spec/azure-sources part-b §2; reference
 * graph-azure src/steps/resource-manager/storage/).
 *
 * rm-storage-resources: the accounts of every ingested subscription are
 * listed in parallel; accounts are taken in batches of STORAGE_BATCH as they
 * arrive, the service properties of a batch are read concurrently (blob for
 * every account, queue for kinds Storage/StorageV2; XML on the data-plane
 * host, configurable through azure_storage_url()), then each account is
 * stored and related: resource group HAS account, account USES the key
 * vault whose vaultUri its customer-managed key names.  Memory holds one
 * batch, never the whole list.  As in the reference, a data-plane failure
 * fails the step; unlike it, the account is skipped and the others are
 * still stored.
 *
 * Children steps: one list per stored account, all in parallel within the
 * client's bounds (round-robin over subscriptions, azure/azure_interleave.h),
 * each child stored as it arrives with account HAS child.
 * Queues and tables are listed only for kinds Storage/StorageV2, and the
 * answers FeatureNotSupportedForAccount / OperationNotAllowedOnKind mean
 * "none" for that account.  The subscription of each list is the one in
 * the account's id (the configured one in the reference: the same in a
 * single-subscription run).
 *
 * As in the reference, accounts have no `function` although the Service
 * schema lists it as required (the store only warns about it).
 * Trade-off: the XML reader below is a minimal one for the
 * service-properties documents (elements and text, entities decoded,
 * attributes ignored), not a general XML parser.
 */
#include "azure/azure_client.h"
#include "azure/azure_endpoints.h"
#include "common/json.h"
#include "common/log.h"
#include "engine/entity_map.h"
#include "engine/relationship.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STORAGE_API "2019-06-01"
#define ACCOUNT_TYPE "azure_storage_account"
#define STORAGE_BATCH 16
#define XML_MAX_DEPTH 16

/* ---- minimal XML reader (service properties) ---------------------------- */

typedef struct xml_node {
    char *name;
    char *text;               /* concatenated character data, decoded */
    struct xml_node *child;   /* first child */
    struct xml_node *next;    /* next sibling */
} xml_node;

static void xml_free(xml_node *n)
{
    while (n) {
        xml_node *next = n->next;
        xml_free(n->child);
        free(n->name);
        free(n->text);
        free(n);
        n = next;
    }
}

typedef struct xml_reader {
    const char *p;
    const char *end;
} xml_reader;

static void xml_skip_space(xml_reader *r)
{
    while (r->p < r->end && isspace((unsigned char)*r->p))
        r->p++;
}

static bool xml_starts(const xml_reader *r, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

/* Skips "<?...?>", "<!--...-->" and "<!...>" at the cursor; false when none. */
static bool xml_skip_markup(xml_reader *r)
{
    const char *close;
    size_t skip;
    if (xml_starts(r, "<?")) {
        close = "?>";
        skip = 2;
    } else if (xml_starts(r, "<!--")) {
        close = "-->";
        skip = 3;
    } else if (xml_starts(r, "<!")) {
        close = ">";
        skip = 1;
    } else {
        return false;
    }
    const char *q = r->p;
    size_t n = strlen(close);
    while (q + n <= r->end && memcmp(q, close, n) != 0)
        q++;
    r->p = q + n <= r->end ? q + skip : r->end;
    return true;
}

/* Appends decoded character data [s, e) to *text. */
static int xml_append_text(char **text, const char *s, const char *e)
{
    size_t old = *text ? strlen(*text) : 0;
    char *t = realloc(*text, old + (size_t)(e - s) + 1);
    if (!t)
        return -1;
    *text = t;
    size_t o = old;
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    while (s < e) {
        bool done = false;
        for (size_t i = 0; *s == '&' && i < sizeof ents / sizeof ents[0]; i++) {
            size_t l = strlen(ents[i].ent);
            if ((size_t)(e - s) >= l && memcmp(s, ents[i].ent, l) == 0) {
                t[o++] = ents[i].c;
                s += l;
                done = true;
                break;
            }
        }
        if (!done)
            t[o++] = *s++;
    }
    t[o] = '\0';
    return 0;
}

/* Parses one element at the cursor ("<Name ...>...</Name>" or "<Name/>"). */
static xml_node *xml_element(xml_reader *r, int depth)
{
    if (depth > XML_MAX_DEPTH || r->p >= r->end || *r->p != '<')
        return NULL;
    r->p++;
    const char *ns = r->p;
    while (r->p < r->end && !isspace((unsigned char)*r->p) && *r->p != '>' && *r->p != '/')
        r->p++;
    if (r->p == ns || r->p >= r->end)
        return NULL;
    xml_node *n = calloc(1, sizeof *n);
    if (!n || !(n->name = strndup(ns, (size_t)(r->p - ns)))) {
        free(n);
        return NULL;
    }
    /* Attributes are ignored (quoted values may hold '>'). */
    char quote = 0;
    while (r->p < r->end && (quote || (*r->p != '>' && !xml_starts(r, "/>")))) {
        if (quote && *r->p == quote)
            quote = 0;
        else if (!quote && (*r->p == '"' || *r->p == '\''))
            quote = *r->p;
        r->p++;
    }
    if (r->p >= r->end)
        goto fail;
    if (*r->p == '/') {
        r->p += 2;
        return n;
    }
    r->p++;
    xml_node **tail = &n->child;
    for (;;) {
        if (r->p >= r->end)
            goto fail;
        if (xml_starts(r, "</")) {
            r->p += 2;
            size_t l = strlen(n->name);
            if ((size_t)(r->end - r->p) < l || memcmp(r->p, n->name, l) != 0)
                goto fail;
            r->p += l;
            xml_skip_space(r);
            if (r->p >= r->end || *r->p != '>')
                goto fail;
            r->p++;
            return n;
        }
        if (xml_starts(r, "<![CDATA[")) {
            const char *s = r->p + 9, *q = s;
            while (q + 3 <= r->end && memcmp(q, "]]>", 3) != 0)
                q++;
            if (q + 3 > r->end)
                goto fail;
            size_t old = n->text ? strlen(n->text) : 0;
            char *t = realloc(n->text, old + (size_t)(q - s) + 1);
            if (!t)
                goto fail;
            memcpy(t + old, s, (size_t)(q - s));
            t[old + (size_t)(q - s)] = '\0';
            n->text = t;
            r->p = q + 3;
            continue;
        }
        if (xml_skip_markup(r))
            continue;
        if (*r->p == '<') {
            xml_node *c = xml_element(r, depth + 1);
            if (!c)
                goto fail;
            *tail = c;
            tail = &c->next;
            continue;
        }
        const char *s = r->p;
        while (r->p < r->end && *r->p != '<')
            r->p++;
        if (xml_append_text(&n->text, s, r->p) != 0)
            goto fail;
    }
fail:
    xml_free(n);
    return NULL;
}

static xml_node *xml_parse(const char *text, size_t len)
{
    xml_reader r = {text, text + len};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        r.p += 3;
    for (;;) {
        xml_skip_space(&r);
        if (!xml_skip_markup(&r))
            break;
    }
    return xml_element(&r, 0);
}

/* XML element -> member of the service-properties object, as the storage
 * SDK deserializes it; elements not listed are dropped. */
typedef enum xkind { XK_OBJECT, XK_BOOL, XK_INT, XK_STRING, XK_RULES } xkind;

typedef struct xfield {
    const char *xml;
    const char *json;
    xkind kind;
} xfield;

static const xfield xfields[] = {
    {"HourMetrics", "hourMetrics", XK_OBJECT},
    {"MinuteMetrics", "minuteMetrics", XK_OBJECT},
    {"Cors", "cors", XK_RULES},
    {"DefaultServiceVersion", "defaultServiceVersion", XK_STRING},
    {"DeleteRetentionPolicy", "deleteRetentionPolicy", XK_OBJECT},
    {"StaticWebsite", "staticWebsite", XK_OBJECT},
    {"RetentionPolicy", "retentionPolicy", XK_OBJECT},
    {"Version", "version", XK_STRING},
    {"Delete", "deleteProperty", XK_BOOL},
    {"Read", "read", XK_BOOL},
    {"Write", "write", XK_BOOL},
    {"Enabled", "enabled", XK_BOOL},
    {"Days", "days", XK_INT},
    {"IncludeAPIs", "includeAPIs", XK_BOOL},
    {"IndexDocument", "indexDocument", XK_STRING},
    {"ErrorDocument404Path", "errorDocument404Path", XK_STRING},
    {"DefaultIndexDocumentPath", "defaultIndexDocumentPath", XK_STRING},
    {"AllowedOrigins", "allowedOrigins", XK_STRING},
    {"AllowedMethods", "allowedMethods", XK_STRING},
    {"AllowedHeaders", "allowedHeaders", XK_STRING},
    {"ExposedHeaders", "exposedHeaders", XK_STRING},
    {"MaxAgeInSeconds", "maxAgeInSeconds", XK_INT},
};

static const xfield *xfield_of(const char *name)
{
    for (size_t i = 0; i < sizeof xfields / sizeof xfields[0]; i++)
        if (strcmp(xfields[i].xml, name) == 0)
            return &xfields[i];
    return NULL;
}

static int xml_object(const xml_node *parent, const char *logging_name, cJSON *out, int depth);

/* Converts one element's value; *v NULL = dropped.  -1 out of memory. */
static int xml_value(const xml_node *n, xkind kind, cJSON **v, int depth)
{
    const char *t = n->text ? n->text : "";
    while (isspace((unsigned char)*t))
        t++;
    *v = NULL;
    switch (kind) {
    case XK_STRING:
        *v = cJSON_CreateString(t);
        break;
    case XK_BOOL:
        if (strncasecmp(t, "true", 4) == 0)
            *v = cJSON_CreateTrue();
        else if (strncasecmp(t, "false", 5) == 0)
            *v = cJSON_CreateFalse();
        else
            return 0;
        break;
    case XK_INT: {
        char *e;
        long long x = strtoll(t, &e, 10);
        while (isspace((unsigned char)*e))
            e++;
        if (e == t || *e)
            return 0;
        *v = cJSON_CreateNumber((double)x);
        break;
    }
    case XK_OBJECT:
        if (!(*v = cJSON_CreateObject()) || xml_object(n, NULL, *v, depth + 1) != 0)
            goto nomem;
        return 0;
    case XK_RULES:
        if (!(*v = cJSON_CreateArray()))
            return -1;
        for (const xml_node *c = n->child; c; c = c->next) {
            cJSON *rule = cJSON_CreateObject();
            if (!rule || !cJSON_AddItemToArray(*v, rule) || xml_object(c, NULL, rule, depth + 1))
                goto nomem;
        }
        return 0;
    }
    return *v ? 0 : -1;
nomem:
    cJSON_Delete(*v);
    *v = NULL;
    return -1;
}

static int xml_object(const xml_node *parent, const char *logging_name, cJSON *out, int depth)
{
    if (depth > XML_MAX_DEPTH)
        return 0;
    for (const xml_node *c = parent->child; c; c = c->next) {
        const char *json;
        xkind kind;
        if (logging_name && strcmp(c->name, "Logging") == 0) {
            json = logging_name;
            kind = XK_OBJECT;
        } else {
            const xfield *f = xfield_of(c->name);
            if (!f)
                continue;
            json = f->json;
            kind = f->kind;
        }
        cJSON *v = NULL;
        if (xml_value(c, kind, &v, depth) != 0)
            return -1;
        if (v && !json_set(out, json, v))
            return -1;
    }
    return 0;
}

/* The StorageServiceProperties document -> object; NULL with err set. */
static cJSON *service_properties(const char *body, size_t len, const char *logging_name,
                                 const char *what, err_info *err)
{
    xml_node *root = xml_parse(body, len);
    if (!root || strcmp(root->name, "StorageServiceProperties") != 0) {
        xml_free(root);
        err_set(err, ERR_UPSTREAM, "the %s is not a StorageServiceProperties XML document", what);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    if (!out || xml_object(root, logging_name, out, 0) != 0) {
        cJSON_Delete(out);
        out = NULL;
        err_set(err, ERR_NOMEM, "out of memory reading the %s", what);
    }
    xml_free(root);
    return out;
}

/* ---- shared conversions ----------------------------------------------- */

/* encodeURIComponent */
static char *uri_component(const char *s)
{
    static const char keep[] = "-_.!~*'()";
    char *out = malloc(strlen(s) * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr(keep, *p))
            out[o++] = (char)*p;
        else
            o += (size_t)sprintf(out + o, "%%%02X", *p);
    }
    out[o] = '\0';
    return out;
}

/* p + strlen(lit) + 1 when p starts with lit followed by at least one
 * character, else NULL. */
static const char *past(const char *p, const char *lit)
{
    size_t n = strlen(lit);
    return p && strncmp(p, lit, n) == 0 && p[n] ? p + n + 1 : NULL;
}

/* The portal link (part A §1.5), with the storage container blade form for
 * ids matching (/subscriptions/.+/resourceGroups/.+/providers/
 * Microsoft.Storage/storageAccounts/.+)/blobServices/.+/containers/(.+). */
static int storage_weblink(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                           cJSON **out, err_info *err)
{
    *out = NULL;
    if (!cJSON_IsString(value) || !mctx || !mctx->integration)
        return 0;
    const char *domain = azure_job_default_domain((const azure_job *)mctx->integration);
    const char *id = value->valuestring;
    if (!domain || !*domain || !*id)
        return 0;
    /* Each ".+" needs at least one character after the literal before it. */
    const char *sub = strstr(id, "/subscriptions/");
    const char *rg = past(sub, "/subscriptions/") ? strstr(past(sub, "/subscriptions/"),
                                                            "/resourceGroups/") : NULL;
    const char *acct_lit = "/providers/Microsoft.Storage/storageAccounts/";
    const char *acct = past(rg, "/resourceGroups/") ? strstr(past(rg, "/resourceGroups/"), acct_lit)
                                                    : NULL;
    const char *blob = NULL, *cont = NULL;
    for (const char *p = past(acct, acct_lit) ? strstr(past(acct, acct_lit), "/blobServices/")
                                              : NULL;
         p; p = strstr(p + 1, "/blobServices/"))
        blob = p;
    for (const char *p = past(blob, "/blobServices/") ? strstr(past(blob, "/blobServices/"),
                                                               "/containers/") : NULL;
         p; p = strstr(p + 1, "/containers/"))
        if (p[12])
            cont = p;
    if (!cont)
        return arm_map_weblink(value, item, mctx, out, err);
    char *group1 = strndup(sub, (size_t)(blob - sub));
    char *enc = group1 ? uri_component(group1) : NULL;
    free(group1);
    if (!enc)
        return err_set(err, ERR_NOMEM, "out of memory building a webLink");
    const char *fmt = "https://portal.azure.com/#blade/Microsoft_Azure_Storage/ContainerMenuBlade/"
                      "overview/storageAccountId/%s/path/%s";
    size_t n = strlen(fmt) + strlen(enc) + strlen(cont + 12) + 1;
    char *link = malloc(n);
    if (link) {
        snprintf(link, n, fmt, enc, cont + 12);
        *out = cJSON_CreateString(link);
    }
    free(link);
    free(enc);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory building a webLink");
}

/* ---- rm-storage-resources ---------------------------------------------- */

/* endpoints: the primary endpoints as a string array, in the reference's
 * order, absent members skipped. */
static int account_endpoints(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                             cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    if (!cJSON_IsObject(value))
        return 0;
    static const char *const paths[] = {
        "blob", "queue", "table", "file", "web", "dfs",
        "microsoftEndpoints.blob", "microsoftEndpoints.queue", "microsoftEndpoints.table",
        "microsoftEndpoints.file", "microsoftEndpoints.web", "microsoftEndpoints.dfs",
        "internetEndpoints.blob", "internetEndpoints.file", "internetEndpoints.web",
        "internetEndpoints.dfs"};
    if (!(*out = cJSON_CreateArray()))
        return err_set(err, ERR_NOMEM, "out of memory mapping a storage account");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const char *s = json_path_string(value, paths[i]);
        cJSON *v = s ? cJSON_CreateString(s) : NULL;
        if (s && (!v || !cJSON_AddItemToArray(*out, v))) {
            cJSON_Delete(v);
            cJSON_Delete(*out);
            *out = NULL;
            return err_set(err, ERR_NOMEM, "out of memory mapping a storage account");
        }
    }
    return 0;
}

/* Paths are on the prepared item (SDK model names, see prepare_account). */
static const prop_map account_props[] = {
    {"displayName", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = storage_weblink},
    {"region", "location", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"kind", "kind", MAP_STRING},
    {"sku", "sku.name", MAP_STRING},
    {"endpoints", "properties.primaryEndpoints", MAP_FN, .fn = account_endpoints},
    {"enableHttpsTrafficOnly", "properties.enableHttpsTrafficOnly", MAP_BOOL},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "infrastructure"},
    {"encryptedFileShare", "properties.encryption.services.file.enabled", MAP_BOOL,
     .flags = MAPF_NULL},
    {"encryptedBlob", "properties.encryption.services.blob.enabled", MAP_BOOL,
     .flags = MAPF_NULL},
    {"encryptedTable", "properties.encryption.services.table.enabled", MAP_BOOL,
     .flags = MAPF_NULL},
    {"encryptedQueue", "properties.encryption.services.queue.enabled", MAP_BOOL,
     .flags = MAPF_NULL},
    {"allowBlobPublicAccess", "properties.allowBlobPublicAccess", MAP_BOOL},
    {"networkRuleSetDefaultAction", "properties.networkRuleSet.defaultAction", MAP_STRING},
    {"networkRuleSetBypass", "properties.networkRuleSet.bypass", MAP_STRING},
    {"encryption.keySource", "properties.encryption.keySource", MAP_ANY, .flags = MAPF_NULL},
    {"encryption.keyVaultProperties.keyName", "properties.encryption.keyVaultProperties.keyName",
     MAP_ANY, .flags = MAPF_NULL},
    {"encryption.keyVaultProperties.keyVersion",
     "properties.encryption.keyVaultProperties.keyVersion", MAP_ANY, .flags = MAPF_NULL},
    {"encryption.keyVaultProperties.keyVaultUri",
     "properties.encryption.keyVaultProperties.keyVaultUri", MAP_ANY, .flags = MAPF_NULL},
    {"encryption.keyVaultProperties.currentVersionedKeyIdentifier",
     "properties.encryption.keyVaultProperties.currentVersionedKeyIdentifier", MAP_ANY,
     .flags = MAPF_NULL},
    {NULL},
};

static const entity_spec account_spec = {
    .type = ACCOUNT_TYPE,
    .classes = {"Service"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .tag_properties = arm_tag_properties,
    .props = account_props,
};

static bool rename_member(cJSON *obj, const char *from, const char *to)
{
    if (!cJSON_IsObject(obj))
        return true;
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(obj, from);
    return !v || json_set(obj, to, v);
}

/* The account as the reference's SDK model (2019-06-01) names it:
 * networkAcls -> networkRuleSet (ipRules value -> iPAddressOrRange),
 * supportsHttpsTrafficOnly -> enableHttpsTrafficOnly, encryption
 * keyvaultproperties -> keyVaultProperties {keyName, keyVersion,
 * keyVaultUri, ...}; fields the model does not know are dropped. */
static cJSON *prepare_account(const cJSON *item)
{
    cJSON *a = cJSON_Duplicate(item, 1);
    cJSON *p = a ? cJSON_GetObjectItemCaseSensitive(a, "properties") : NULL;
    if (!a || !cJSON_IsObject(p))
        return a;
    bool ok = rename_member(p, "networkAcls", "networkRuleSet") &&
              rename_member(p, "supportsHttpsTrafficOnly", "enableHttpsTrafficOnly");
    cJSON *rule;
    cJSON_ArrayForEach(rule, json_path(p, "networkRuleSet.ipRules"))
        ok = ok && rename_member(rule, "value", "iPAddressOrRange");
    cJSON *enc = cJSON_GetObjectItemCaseSensitive(p, "encryption");
    ok = ok && rename_member(enc, "keyvaultproperties", "keyVaultProperties");
    cJSON *kv = cJSON_IsObject(enc) ? cJSON_GetObjectItemCaseSensitive(enc, "keyVaultProperties")
                                    : NULL;
    ok = ok && rename_member(kv, "keyname", "keyName") &&
         rename_member(kv, "keyversion", "keyVersion") &&
         rename_member(kv, "keyvaulturi", "keyVaultUri");
    if (cJSON_IsObject(kv))
        cJSON_DeleteItemFromObjectCaseSensitive(kv, "currentVersionedKeyExpirationTimestamp");
    if (!ok) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static bool kind_has_queues(const char *kind)
{
    return kind && (strcmp(kind, "Storage") == 0 || strcmp(kind, "StorageV2") == 0);
}

typedef struct account_slot {
    cJSON *item;          /* the listed account (copy) */
    cJSON *blob, *queue;  /* service properties read */
    err_info err;
    int rc;
    azure_client *client;
} account_slot;

typedef struct account_state {
    step_ctx *ctx;
    azure_client *client;
    cJSON *vaults;        /* vaultUri without trailing '/' -> vault entity key */
    account_slot batch[STORAGE_BATCH];
    size_t n;
    size_t failed;        /* accounts skipped for a data-plane failure */
    err_info first;       /* the first such failure */
} account_state;

static bool plain_account_name(const char *name)
{
    if (!name || !*name || strlen(name) > 63)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-')
            return false;
    return true;
}

static cJSON *read_service(azure_client *client, const char *account, const char *service,
                           const char *query, const char *logging_name, err_info *err)
{
    char base[512], url[700], what[160];
    if (azure_storage_url(azure_client_endpoints(client), account, service, base, sizeof base)) {
        err_set(err, ERR_INVALID, "the %s service URL of storage account %s is too long", service,
                account);
        return NULL;
    }
    snprintf(url, sizeof url, "%s/?%s", base, query);
    snprintf(what, sizeof what, "%s service properties of storage account %s", service, account);
    char *body = NULL;
    size_t len = 0;
    if (azure_get_text(client, AZURE_API_DATA, url, &body, &len, err) != 0) {
        err_prefix(err, "reading the %s", what);
        free(body);
        return NULL;
    }
    cJSON *props = service_properties(body, len, logging_name, what, err);
    free(body);
    return props;
}

static void *fetch_services(void *arg)
{
    account_slot *s = arg;
    const char *name = json_get_string(s->item, "name");
    if (!plain_account_name(name)) {
        s->rc = err_set(&s->err, ERR_UPSTREAM, "storage account name \"%s\" is not usable in a "
                        "data-plane URL", name ? name : "");
        return NULL;
    }
    s->blob = read_service(s->client, name, "blob", "restype=service&comp=properties",
                           "blobAnalyticsLogging", &s->err);
    if (!s->blob) {
        s->rc = -1;
        return NULL;
    }
    if (kind_has_queues(json_get_string(s->item, "kind"))) {
        s->queue = read_service(s->client, name, "queue",
                                "restype=service&comp=properties&timeout=30",
                                "queueAnalyticsLogging", &s->err);
        if (!s->queue)
            s->rc = -1;
    }
    return NULL;
}

/* Copies src[path] (a boolean or number) to entity[name]; absent -> nothing. */
static bool copy_flag(cJSON *entity, const char *name, const cJSON *src, const char *path)
{
    const cJSON *v = src ? json_path(src, path) : NULL;
    if (!v || !(cJSON_IsBool(v) || cJSON_IsNumber(v)))
        return true;
    return json_set(entity, name, cJSON_Duplicate(v, 0));
}

static bool add_raw(cJSON *entity, const char *name, cJSON *data)
{
    cJSON *raw = cJSON_GetObjectItemCaseSensitive(entity, "_rawData");
    if (!cJSON_IsArray(raw)) {
        if (!(raw = cJSON_AddArrayToObject(entity, "_rawData")))
            return false;
    }
    cJSON *entry = cJSON_CreateObject();
    if (!entry || !cJSON_AddStringToObject(entry, "name", name) ||
        !cJSON_AddItemToObject(entry, "rawData", data) || !cJSON_AddItemToArray(raw, entry)) {
        if (entry && !cJSON_GetObjectItemCaseSensitive(entry, "rawData"))
            cJSON_Delete(data);
        cJSON_Delete(entry);
        return false;
    }
    return true;
}

/* Service-property fields and raw data; takes the slot's blob/queue. */
static bool add_service_properties(cJSON *entity, account_slot *s)
{
    const cJSON *b = s->blob, *q = s->queue;
    static const struct {
        const char *property;
        bool queue;         /* from the queue service, else the blob service */
        const char *path;
    } flags[] = {
        {"blobSoftDeleteEnabled", false, "deleteRetentionPolicy.enabled"},
        {"blobSoftDeleteRetentionDays", false, "deleteRetentionPolicy.days"},
        {"blobAnalyticsLoggingReadEnabled", false, "blobAnalyticsLogging.read"},
        {"blobAnalyticsLoggingWriteEnabled", false, "blobAnalyticsLogging.write"},
        {"blobAnalyticsLoggingDeleteEnabled", false, "blobAnalyticsLogging.deleteProperty"},
        {"queueAnalyticsLoggingReadEnabled", true, "queueAnalyticsLogging.read"},
        {"queueAnalyticsLoggingWriteEnabled", true, "queueAnalyticsLogging.write"},
        {"queueAnalyticsLoggingDeleteEnabled", true, "queueAnalyticsLogging.deleteProperty"},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!copy_flag(entity, flags[i].property, flags[i].queue ? q : b, flags[i].path))
            return false;
    s->blob = NULL;
    if (!add_raw(entity, "blobServiceProperties", (cJSON *)b))
        return false;
    if (q) {
        s->queue = NULL;
        if (!add_raw(entity, "queueServiceProperties", (cJSON *)q))
            return false;
    }
    return true;
}

/* Account USES key vault when its customer-managed key names a stored vault. */
static int relate_key_vault(account_state *st, const cJSON *account, const char *account_key,
                            err_info *err)
{
    const cJSON *kv = json_path(account, "properties.encryption.keyVaultProperties");
    const char *source = json_path_string(account, "properties.encryption.keySource");
    const char *uri = json_get_string(kv, "keyVaultUri");
    if (!source || strcmp(source, "Microsoft.Keyvault") != 0 || !uri || !*uri)
        return 0;
    size_t l = strlen(uri);
    char *bare = strndup(uri, l && uri[l - 1] == '/' ? l - 1 : l);
    if (!bare)
        return err_set(err, ERR_NOMEM, "out of memory relating a storage account");
    const char *vault = json_get_string(st->vaults, bare);
    free(bare);
    if (!vault)
        return 0;
    cJSON *rel = relationship_direct("USES", account_key, ACCOUNT_TYPE, vault,
                                     "azure_keyvault_service", NULL, NULL);
    const char *fields[] = {"keyName", "keyVaultUri", "keyVersion"};
    for (size_t i = 0; rel && i < 3; i++) {
        const cJSON *v = json_get(kv, fields[i]);
        if (v && !json_set(rel, fields[i], cJSON_Duplicate(v, 0))) {
            cJSON_Delete(rel);
            rel = NULL;
        }
    }
    if (!rel)
        return err_set(err, ERR_NOMEM, "out of memory relating a storage account");
    return gov_add(st->ctx, rel, false, vault, err);
}

static int store_account(account_state *st, account_slot *s, err_info *err)
{
    const char *id = json_get_string(s->item, "id");
    if (s->rc != 0) {
        log_kv(LOG_WARN, "storage account skipped: its service properties could not be read",
               "id", id ? id : "?", "error", s->err.message, NULL);
        if (st->failed++ == 0)
            st->first = s->err;
        return 0;
    }
    if (!id) {
        log_kv(LOG_WARN, "skipped an object without id", "type", ACCOUNT_TYPE, NULL);
        return 0;
    }
    cJSON *account = prepare_account(s->item);
    if (!account)
        return err_set(err, ERR_NOMEM, "out of memory mapping a storage account");
    map_ctx mctx = {.integration = azure_job_of(st->ctx)};
    cJSON *entity = NULL;
    err_info e = {0};
    int rc = 0;
    if (entity_map_build(&account_spec, account, &mctx, &entity, &e) != 0) {
        if (e.kind == ERR_NOMEM) {
            *err = e;
            rc = -1;
        } else {
            log_kv(LOG_WARN, "skipped one object", "type", ACCOUNT_TYPE, "id", id, "error",
                   e.message, NULL);
        }
        goto done;
    }
    if (!add_service_properties(entity, s)) {
        cJSON_Delete(entity);
        rc = err_set(err, ERR_NOMEM, "out of memory mapping a storage account");
        goto done;
    }
    if ((rc = gov_add(st->ctx, entity, true, id, err)) != 0)
        goto done;
    gov_found found;
    if (!gov_find(st->ctx, id, &found))
        goto done;
    if ((rc = arm_relate_resource_group(st->ctx, found.key, ACCOUNT_TYPE, err)) != 0)
        goto done;
    rc = relate_key_vault(st, account, found.key, err);
done:
    cJSON_Delete(account);
    return rc;
}

static void clear_slot(account_slot *s)
{
    cJSON_Delete(s->item);
    cJSON_Delete(s->blob);
    cJSON_Delete(s->queue);
    memset(s, 0, sizeof *s);
}

/* Reads the batch's service properties concurrently (the client bounds the
 * requests in flight), then stores the accounts in list order. */
static int flush_batch(account_state *st, err_info *err)
{
    pthread_t threads[STORAGE_BATCH];
    bool started[STORAGE_BATCH] = {0};
    for (size_t i = 0; i < st->n; i++) {
        st->batch[i].client = st->client;
        started[i] = pthread_create(&threads[i], NULL, fetch_services, &st->batch[i]) == 0;
        if (!started[i])
            fetch_services(&st->batch[i]);
    }
    for (size_t i = 0; i < st->n; i++)
        if (started[i])
            pthread_join(threads[i], NULL);
    int rc = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (rc == 0 && step_should_stop(st->ctx))
            rc = err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
        if (rc == 0 && st->batch[i].rc != 0 &&
            (st->batch[i].err.kind == ERR_NOMEM || st->batch[i].err.kind == ERR_CANCELLED)) {
            *err = st->batch[i].err;
            rc = -1;
        }
        if (rc == 0)
            rc = store_account(st, &st->batch[i], err);
        clear_slot(&st->batch[i]);
    }
    st->n = 0;
    return rc;
}

static int account_listed(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    account_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    if (!(st->batch[st->n].item = cJSON_Duplicate(item, 1)))
        return err_set(err, ERR_NOMEM, "out of memory listing storage accounts");
    st->n++;
    return st->n == STORAGE_BATCH ? flush_batch(st, err) : 0;
}

static int map_vault(void *arg, const cJSON *vault, err_info *err)
{
    cJSON *map = arg;
    const char *key = json_get_string(vault, "_key");
    const cJSON *raw = json_get(cJSON_GetArrayItem(json_get(vault, "_rawData"), 0), "rawData");
    const char *uri = json_path_string(raw, "properties.vaultUri");
    if (!key || !uri || !*uri)
        return 0;
    size_t l = strlen(uri);
    if (uri[l - 1] == '/')
        l--;
    if (l == 0)
        return 0;
    char *bare = strndup(uri, l);
    if (!bare)
        return err_set(err, ERR_NOMEM, "out of memory mapping key vaults");
    bool ok = json_set(map, bare, cJSON_CreateString(key));
    free(bare);
    return ok ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping key vaults");
}

static int run_accounts(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    azure_job *job = azure_job_of(ctx);
    account_state *st = calloc(1, sizeof *st);
    gov_strings paths = {0};
    int rc = -1;
    if (!st || !(st->vaults = cJSON_CreateObject())) {
        err_set(err, ERR_NOMEM, "out of memory listing storage accounts");
        goto done;
    }
    st->ctx = ctx;
    st->client = azure_job_client(job);
    if (step_iterate_entities(ctx, "azure_keyvault_service", map_vault, st->vaults, err) != 0)
        goto done;
    char path[256];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        snprintf(path, sizeof path,
                 "/subscriptions/%s/providers/Microsoft.Storage/storageAccounts?api-version="
                 STORAGE_API,
                 azure_job_subscription(job, i));
        if (gov_strings_add(&paths, path, err) != 0)
            goto done;
    }
    err_info le = {0};
    int lrc = gov_list_parallel(ctx, paths.items, paths.count, account_listed, st, &le);
    err_info fe = {0};
    int frc = st->n ? flush_batch(st, &fe) : 0;
    if (lrc != 0) {
        *err = le;
        goto done;
    }
    if (frc != 0) {
        *err = fe;
        goto done;
    }
    if (st->failed) {
        *err = st->first;
        err_prefix(err, "%zu storage account(s) not ingested; first", st->failed);
        goto done;
    }
    rc = 0;
done:
    if (st) {
        for (size_t i = 0; i < st->n; i++)
            clear_slot(&st->batch[i]);
        cJSON_Delete(st->vaults);
        free(st);
    }
    gov_strings_free(&paths);
    return rc;
}

/* ---- account children -------------------------------------------------- */

typedef enum encrypted_rule {
    ENC_OR_FALSE = 0,   /* account value || false */
    ENC_AS_IS,          /* account value, absent when absent */
    ENC_BOOLEAN         /* !!account value */
} encrypted_rule;

typedef struct child_kind {
    const entity_spec *spec;
    const char *collection;      /* "blobServices/default/containers" */
    const char *encrypted_from;  /* account entity property */
    encrypted_rule encrypted;
    bool classification_null;
    bool storage_kinds_only;     /* Storage / StorageV2 accounts only; kind errors = none */
} child_kind;

/* public: publicAccess matches /(container|blob)/i */
static int container_public(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                            cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    bool pub = false;
    if (cJSON_IsString(value) && *value->valuestring) {
        char *lower = strdup(value->valuestring);
        if (!lower)
            return err_set(err, ERR_NOMEM, "out of memory mapping a container");
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        pub = strstr(lower, "container") || strstr(lower, "blob");
        free(lower);
    }
    *out = cJSON_CreateBool(pub);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping a container");
}

static const prop_map container_props[] = {
    {"webLink", "id", MAP_FN, .fn = storage_weblink},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"public", "properties.publicAccess", MAP_FN, .fn = container_public},
    {"publicAccess", "properties.publicAccess", MAP_STRING},
    {NULL},
};

static const prop_map file_share_props[] = {
    {"webLink", "id", MAP_FN, .fn = storage_weblink},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {NULL},
};

static const prop_map queue_props[] = {
    {"webLink", "id", MAP_FN, .fn = storage_weblink},
    {"name", "name", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {NULL},
};

static const prop_map table_props[] = {
    {"webLink", "id", MAP_FN, .fn = storage_weblink},
    {"name", "name", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"tableName", "properties.tableName", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {NULL},
};

#define CHILD_FLAGS (ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH)

static const entity_spec container_spec = {
    .type = "azure_storage_container", .classes = {"DataStore"}, .flags = CHILD_FLAGS,
    .props = container_props};
static const entity_spec file_share_spec = {
    .type = "azure_storage_file_share", .classes = {"DataStore"}, .flags = CHILD_FLAGS,
    .props = file_share_props};
static const entity_spec queue_spec = {
    .type = "azure_storage_queue", .classes = {"Queue"}, .flags = CHILD_FLAGS,
    .props = queue_props};
static const entity_spec table_spec = {
    .type = "azure_storage_table", .classes = {"DataStore", "Database"}, .flags = CHILD_FLAGS,
    .props = table_props};

static const child_kind containers = {&container_spec, "blobServices/default/containers",
                                      "encryptedBlob", ENC_OR_FALSE, true, false};
static const child_kind file_shares = {&file_share_spec, "fileServices/default/shares",
                                       "encryptedFileShare", ENC_OR_FALSE, true, false};
static const child_kind queues = {&queue_spec, "queueServices/default/queues", "encryptedQueue",
                                  ENC_AS_IS, false, true};
static const child_kind tables = {&table_spec, "tableServices/default/tables", "encryptedTable",
                                  ENC_BOOLEAN, true, true};

typedef struct parent_account {
    char *key;
    cJSON *encrypted;   /* the account's value (copy), NULL when absent */
} parent_account;

typedef struct child_state {
    step_ctx *ctx;
    const child_kind *kind;
    parent_account *parents;   /* index = list index */
    size_t n, cap;
    gov_strings paths;
    size_t unmatched;          /* accounts without a resource group in their id */
} child_state;

static int collect_parent(void *arg, const cJSON *account, err_info *err)
{
    child_state *st = arg;
    const char *key = json_get_string(account, "_key");
    const char *id = json_get_string(account, "id");
    const char *name = json_get_string(account, "name");
    if (!id)
        id = key;
    if (!key || !name || !*name)
        return 0;
    if (st->kind->storage_kinds_only && !kind_has_queues(json_get_string(account, "kind")))
        return 0;
    char sub[128], group[512];
    if (arm_subscription_of(id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(id, group, sizeof group) != 0 || strchr(name, '/') ||
        strchr(name, '?')) {
        log_kv(LOG_WARN, "could not identify the resource group of a storage account", "code",
               "UNMATCHED_RESOURCE_GROUP", "id", id, NULL);
        st->unmatched++;
        return 0;
    }
    size_t n = strlen(sub) + strlen(group) + strlen(name) + strlen(st->kind->collection) + 128;
    char *path = malloc(n);
    if (!path)
        return err_set(err, ERR_NOMEM, "out of memory listing storage account children");
    snprintf(path, n,
             "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/%s/"
             "%s?api-version=" STORAGE_API,
             sub, group, name, st->kind->collection);
    int rc = gov_strings_add(&st->paths, path, err);
    free(path);
    if (rc != 0)
        return -1;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        parent_account *p = realloc(st->parents, cap * sizeof *p);
        if (!p)
            return err_set(err, ERR_NOMEM, "out of memory listing storage account children");
        st->parents = p;
        st->cap = cap;
    }
    parent_account *pa = &st->parents[st->n];
    memset(pa, 0, sizeof *pa);
    const cJSON *enc = json_get(account, st->kind->encrypted_from);
    if (!(pa->key = strdup(key)) || (enc && !(pa->encrypted = cJSON_Duplicate(enc, 0)))) {
        free(pa->key);
        return err_set(err, ERR_NOMEM, "out of memory listing storage account children");
    }
    st->n++;
    return 0;
}

static bool js_truthy(const cJSON *v)
{
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return false;
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v))
        return *v->valuestring != '\0';
    return true;
}

static bool set_encrypted(cJSON *entity, const child_kind *kind, const cJSON *value)
{
    cJSON *v = NULL;
    switch (kind->encrypted) {
    case ENC_OR_FALSE:
        v = js_truthy(value) ? cJSON_Duplicate(value, 0) : cJSON_CreateFalse();
        break;
    case ENC_AS_IS:
        if (!value)
            return true;
        v = cJSON_Duplicate(value, 0);
        break;
    case ENC_BOOLEAN:
        v = cJSON_CreateBool(js_truthy(value));
        break;
    }
    return json_set(entity, "encrypted", v);
}

static int child_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    child_state *st = arg;
    const entity_spec *spec = st->kind->spec;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *id = json_get_string(item, "id");
    if (!id) {
        log_kv(LOG_WARN, "skipped an object without id", "type", spec->type, NULL);
        return 0;
    }
    map_ctx mctx = {.integration = azure_job_of(st->ctx)};
    cJSON *entity = NULL;
    err_info e = {0};
    if (entity_map_build(spec, item, &mctx, &entity, &e) != 0) {
        if (e.kind == ERR_NOMEM) {
            *err = e;
            return -1;
        }
        log_kv(LOG_WARN, "skipped one object", "type", spec->type, "id", id, "error", e.message,
               NULL);
        return 0;
    }
    bool ok = !st->kind->classification_null ||
              json_set(entity, "classification", cJSON_CreateNull());
    if (!ok || !set_encrypted(entity, st->kind, st->parents[index].encrypted)) {
        cJSON_Delete(entity);
        return err_set(err, ERR_NOMEM, "out of memory mapping %s", spec->type);
    }
    if (gov_add(st->ctx, entity, true, id, err) != 0)
        return -1;
    gov_found child, account;
    if (!gov_find(st->ctx, id, &child) || !gov_find(st->ctx, st->parents[index].key, &account))
        return 0;
    return gov_relate(st->ctx, "HAS", account.key, account.type, child.key, spec->type, NULL, err);
}

/* Queues and tables: these answers mean the account kind has none. */
static bool kind_not_supported(const err_info *e)
{
    return e->http_status == 400 && (strstr(e->message, "FeatureNotSupportedForAccount") ||
                                     strstr(e->message, "OperationNotAllowedOnKind"));
}

/* One step per kind of account child: the child_kind is the step's arg. */
static int run_children(step_ctx *ctx, err_info *err)
{
    const child_kind *kind = step_arg(ctx);
    if (!kind)
        return err_set(err, ERR_INTERNAL, "step %s: run_children needs a child_kind arg",
                       step_current(ctx) ? step_current(ctx)->id : "?");
    if (gov_require_account(ctx, err) != 0)
        return -1;
    child_state st = {.ctx = ctx, .kind = kind};
    err_info *errs = NULL;
    int rc = -1;
    if (step_iterate_entities(ctx, ACCOUNT_TYPE, collect_parent, &st, err) != 0)
        goto done;
    if (st.n) {
        if (!(errs = calloc(st.n, sizeof *errs))) {
            err_set(err, ERR_NOMEM, "out of memory listing storage account children");
            goto done;
        }
        err_info le = {0};
        if (azure_list_many(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                            (const char *const *)st.paths.items, st.n, child_item, &st, errs,
                            &le) != 0) {
            const err_info *first = NULL;
            for (size_t i = 0; i < st.n && !first; i++) {
                if (errs[i].kind == ERR_NONE)
                    continue;
                if (kind->storage_kinds_only && kind_not_supported(&errs[i])) {
                    log_kv(LOG_INFO, "storage account kind has no such service; none listed",
                           "account", st.parents[i].key, "type", kind->spec->type, NULL);
                    continue;
                }
                first = &errs[i];
            }
            if (first || le.kind == ERR_NOMEM || le.kind == ERR_CANCELLED) {
                *err = first ? *first : le;
                goto done;
            }
        }
    }
    if (st.unmatched) {
        err_set(err, ERR_UPSTREAM,
                "%zu storage account id(s) without a resource group (code "
                "UNMATCHED_RESOURCE_GROUP); their %s were not listed",
                st.unmatched, kind->spec->type);
        goto done;
    }
    rc = 0;
done:
    for (size_t i = 0; i < st.n; i++) {
        free(st.parents[i].key);
        cJSON_Delete(st.parents[i].encrypted);
    }
    free(st.parents);
    free(errs);
    gov_strings_free(&st.paths);
    return rc;
}

/* ---- the step table ---------------------------------------------------- */

static const step_def step_accounts = {
    .id = "rm-storage-resources",
    .name = "Storage Accounts",
    .depends_on = {"ad-account", "rm-resources-resource-groups", "rm-keyvault-vaults"},
    .entities = {{"[RM] Storage Account", ACCOUNT_TYPE, {"Service"}}},
    .relationships = {ARM_RG_HAS_DECL("storage_account"),
                      {"azure_storage_account_uses_keyvault_service", "USES", ACCOUNT_TYPE,
                       "azure_keyvault_service"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_accounts,
};

static const step_def step_file_shares = {
    .id = "rm-storage-file-shares",
    .name = "Storage File Shares",
    .depends_on = {"ad-account", "rm-storage-resources"},
    .entities = {{"[RM] Storage File Share", "azure_storage_file_share", {"DataStore"}}},
    .relationships = {{"azure_storage_account_has_file_share", "HAS", ACCOUNT_TYPE,
                       "azure_storage_file_share"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_children,
    .arg = &file_shares,
};

static const step_def step_containers = {
    .id = "rm-storage-containers",
    .name = "Storage Containers",
    .depends_on = {"ad-account", "rm-storage-resources"},
    .entities = {{"[RM] Storage Container", "azure_storage_container", {"DataStore"}}},
    .relationships = {{"azure_storage_account_has_container", "HAS", ACCOUNT_TYPE,
                       "azure_storage_container"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_children,
    .arg = &containers,
};

static const step_def step_queues = {
    .id = "rm-storage-queues",
    .name = "Storage Queues",
    .depends_on = {"ad-account", "rm-storage-resources"},
    .entities = {{"[RM] Storage Queue", "azure_storage_queue", {"Queue"}}},
    .relationships = {{"azure_storage_account_has_queue", "HAS", ACCOUNT_TYPE,
                       "azure_storage_queue"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_children,
    .arg = &queues,
};

static const step_def step_tables = {
    .id = "rm-storage-tables",
    .name = "Storage Tables",
    .depends_on = {"ad-account", "rm-storage-resources"},
    .entities = {{"[RM] Storage Table", "azure_storage_table", {"DataStore", "Database"}}},
    .relationships = {{"azure_storage_account_has_table", "HAS", ACCOUNT_TYPE,
                       "azure_storage_table"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_children,
    .arg = &tables,
};

const step_def *const steps_storage[] = {&step_accounts, &step_file_shares, &step_containers,
                                         &step_queues, &step_tables, NULL};

/*
 * azure_endpoints: which hosts a job talks to.
 *
 * AZURE_CLOUD picks a table row of defaults (public, US Government, China);
 * AZURE_AUTHORITY_HOST, AZURE_GRAPH_ENDPOINT, AZURE_RESOURCE_MANAGER_ENDPOINT
 * and AZURE_STORAGE_URL_TEMPLATE override single values.  Every URL must be
 * https, except loopback hosts (the fake Azure of the tests), so a typo in
 * a deployment cannot send a client secret in clear text.  Trailing slashes
 * are removed so that paths can be appended verbatim.
 */
#include "azure/azure_endpoints.h"

#include "common/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct cloud_row {
    const char *name;
    const char *authority;
    const char *graph;
    const char *arm;
    const char *storage_suffix;
} cloud_row;

static const cloud_row clouds[] = {
    {"AzurePublicCloud", "https://login.microsoftonline.com", "https://graph.microsoft.com",
     "https://management.azure.com", "core.windows.net"},
    {"AzureUSGovernment", "https://login.microsoftonline.us", "https://graph.microsoft.us",
     "https://management.usgovcloudapi.net", "core.usgovcloudapi.net"},
    {"AzureChinaCloud", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn",
     "https://management.chinacloudapi.cn", "core.chinacloudapi.cn"},
};

int azure_url_check(const char *url, const char *what, err_info *err) {
    if (url_is_https(url) || url_is_loopback_http(url)) return 0;
    err_set(err, ERR_INVALID,
            "%s must be an https URL with a host and no user@ part (got \"%.200s\")", what, url);
    return err_hint(err, "use https://host (plain http is accepted only for 127.0.0.1/localhost)");
}

static int set_value(char *dst, size_t size, const char *value, const char *what, bool check_url,
                     err_info *err) {
    size_t n = strlen(value);
    while (n > 0 && value[n - 1] == '/') n--;
    if (n == 0 || n >= size)
        return err_set(err, ERR_INVALID, "%s is empty or longer than %zu characters", what,
                       size - 1);
    memcpy(dst, value, n);
    dst[n] = '\0';
    return check_url ? azure_url_check(dst, what, err) : 0;
}

int azure_endpoints_for_cloud(const char *cloud, azure_endpoints *out, err_info *err) {
    memset(out, 0, sizeof *out);
    const cloud_row *row = NULL;
    for (size_t i = 0; i < sizeof clouds / sizeof clouds[0]; i++)
        if (strcasecmp(clouds[i].name, cloud) == 0) row = &clouds[i];
    if (!row) {
        err_set(err, ERR_INVALID, "AZURE_CLOUD \"%.64s\" is not a known cloud", cloud);
        return err_hint(err, "use AzurePublicCloud, AzureUSGovernment or AzureChinaCloud");
    }
    snprintf(out->authority_host, sizeof out->authority_host, "%s", row->authority);
    snprintf(out->graph, sizeof out->graph, "%s", row->graph);
    snprintf(out->resource_manager, sizeof out->resource_manager, "%s", row->arm);
    snprintf(out->storage_suffix, sizeof out->storage_suffix, "%s", row->storage_suffix);
    return 0;
}

int azure_endpoints_from_env(azure_endpoints *out, err_info *err) {
    const char *cloud = getenv("AZURE_CLOUD");
    if (azure_endpoints_for_cloud(cloud && *cloud ? cloud : "AzurePublicCloud", out, err) != 0)
        return -1;
    static const struct {
        const char *var;
        size_t offset;
        size_t size;
        bool url;
    } vars[] = {
        {"AZURE_AUTHORITY_HOST", offsetof(azure_endpoints, authority_host),
         sizeof(((azure_endpoints *)0)->authority_host), true},
        {"AZURE_GRAPH_ENDPOINT", offsetof(azure_endpoints, graph),
         sizeof(((azure_endpoints *)0)->graph), true},
        {"AZURE_RESOURCE_MANAGER_ENDPOINT", offsetof(azure_endpoints, resource_manager),
         sizeof(((azure_endpoints *)0)->resource_manager), true},
        {"AZURE_STORAGE_URL_TEMPLATE", offsetof(azure_endpoints, storage_url_template),
         sizeof(((azure_endpoints *)0)->storage_url_template), true},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i].var);
        if (!v || !*v) continue;
        if (set_value((char *)out + vars[i].offset, vars[i].size, v, vars[i].var, vars[i].url,
                      err) != 0)
            return -1;
    }
    return 0;
}

int azure_storage_url(const azure_endpoints *ep, const char *account, const char *service,
                      char *out, size_t size) {
    int n;
    if (ep->storage_url_template[0] == '\0') {
        n = snprintf(out, size, "https://%s.%s.%s", account, service, ep->storage_suffix);
    } else {
        /* Replace {account} and {service} in the template. */
        size_t o = 0;
        for (const char *p = ep->storage_url_template; *p; ) {
            const char *rep = NULL;
            size_t skip = 0;
            if (strncmp(p, "{account}", 9) == 0) { rep = account; skip = 9; }
            else if (strncmp(p, "{service}", 9) == 0) { rep = service; skip = 9; }
            if (rep) {
                size_t l = strlen(rep);
                if (o + l >= size) return -1;
                memcpy(out + o, rep, l);
                o += l;
                p += skip;
            } else {
                if (o + 1 >= size) return -1;
                out[o++] = *p++;
            }
        }
        if (o >= size) return -1;
        out[o] = '\0';
        n = (int)o;
    }
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

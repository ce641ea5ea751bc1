/*
 * azure_retry: see azure_retry.h for the policy.  Pure functions apart from
 * the random draw of the jitter.
 */
#include "azure/azure_retry.h"

#include "common/random.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

azure_retry_action azure_retry_classify(int status) {
    if (status == 0) return AZURE_RETRY_BACKOFF;
    if (status >= 200 && status < 400) return AZURE_RETRY_DONE;
    if (status == 401) return AZURE_RETRY_REFRESH_TOKEN;
    if (status == 429 || status == 503) return AZURE_RETRY_THROTTLED;
    if (status == 408) return AZURE_RETRY_BACKOFF;
    if (status >= 500 && status != 501 && status != 505) return AZURE_RETRY_BACKOFF;
    return AZURE_RETRY_FAIL;
}

int64_t azure_retry_after_ms(const char *value, time_t now) {
    if (!value) return -1;
    while (isspace((unsigned char)*value)) value++;
    if (*value == '\0') return -1;
    if (isdigit((unsigned char)*value)) {
        errno = 0;
        char *end = NULL;
        long long s = strtoll(value, &end, 10);
        while (end && isspace((unsigned char)*end)) end++;
        if (errno != 0 || !end || *end != '\0' || s < 0) return -1;
        if (s > 86400) s = 86400;
        return (int64_t)s * 1000;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end != '\0') return -1;
    time_t at = timegm(&tm);
    if (at == (time_t)-1) return -1;
    if (at <= now) return 0;
    int64_t d = (int64_t)(at - now);
    if (d > 86400) d = 86400;
    return d * 1000;
}

int64_t azure_retry_backoff_ms(int attempt, int base_ms, int cap_ms) {
    if (attempt < 1) attempt = 1;
    if (base_ms < 1) base_ms = 1;
    int64_t d = base_ms;
    for (int i = 1; i < attempt && d < cap_ms; i++) d *= 2;
    if (d > cap_ms) d = cap_ms;
    int64_t lo = d / 2;
    return lo + (int64_t)(random_unit() * (double)(d - lo));
}

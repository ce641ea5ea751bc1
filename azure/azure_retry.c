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

int64_t azure_retry_backoff_ms(int attempt, int base_ms, int cap_ms) {
    if (attempt < 1) attempt = 1;
    if (base_ms < 1) base_ms = 1;
    int64_t d = base_ms;
    for (int i = 1; i < attempt && d < cap_ms; i++) d *= 2;
    if (d > cap_ms) d = cap_ms;
    int64_t lo = d / 2;
    return lo + (int64_t)(random_unit() * (double)(d - lo));
}

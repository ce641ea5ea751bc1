#include "common/url.h"

#include <string.h>
#include <strings.h>

bool url_authority(const char *url, const char **start, size_t *len)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return false;
    *start = p + 3;
    *len = strcspn(*start, "/?#");
    return true;
}

/* scheme is lower case, with "://" */
static bool plain_authority(const char *url, const char *scheme, const char **host, size_t *n)
{
    size_t sl = strlen(scheme);
    return strncasecmp(url, scheme, sl) == 0 && url_authority(url, host, n) &&
           *host == url + sl && *n > 0 && !memchr(*host, '@', *n);
}

bool url_is_https(const char *url)
{
    const char *host;
    size_t n;
    return url && plain_authority(url, "https://", &host, &n);
}

bool url_is_loopback_http(const char *url)
{
    const char *p;
    size_t n;
    if (!url || !plain_authority(url, "http://", &p, &n))
        return false;
    /* the host: up to the port's ':' (after the ']' of an IPv6 literal) */
    const char *end = p[0] == '[' ? memchr(p, ']', n) : NULL;
    size_t h = end ? (size_t)(end - p) + 1 : 0;
    while (h < n && p[h] != ':')
        h++;
    if (p[0] == '[' && (!end || h != (size_t)(end - p) + 1))
        return false;
    if ((h == 9 && strncasecmp(p, "localhost", 9) == 0) || (h == 5 && strncmp(p, "[::1]", 5) == 0))
        return true;
    /* 127.0.0.0/8: "127." followed by three dot-separated numbers */
    if (h < 7 || strncmp(p, "127.", 4) != 0)
        return false;
    int dots = 0;
    for (size_t i = 4; i < h; i++) {
        if (p[i] == '.')
            dots++;
        else if (p[i] < '0' || p[i] > '9')
            return false;
    }
    return dots == 2;
}

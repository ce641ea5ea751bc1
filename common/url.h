/*
 * url: the checks every configured base URL passes before a secret is
 * sent to it (Azure AD client secrets, Azure tokens, the JupiterOne API
 * key): https to some host, or plain http only to a loopback host (the
 * fakes of the tests).  Neither may carry user information: in
 * "http://localhost:1@api.example.com" the host is api.example.com, and a
 * "user:password@" part would put a credential into a value that is not
 * treated as a secret.
 */
#ifndef AI_COMMON_URL_H
#define AI_COMMON_URL_H

#include <stdbool.h>
#include <stddef.h>

/* The authority of "scheme://authority/path?query#fragment" (up to the
 * first / ? or #); false when url has no "://". */
bool url_authority(const char *url, const char **start, size_t *len);

/* "https://" (any case), a non-empty authority without '@'. */
bool url_is_https(const char *url);

/* "http://" (any case) to localhost, 127.0.0.0/8 or [::1] (optionally with
 * a port), without '@' in the authority. */
bool url_is_loopback_http(const char *url);

#endif

/*
 * azure_error: turns an Azure error answer into an err_info an operator can
 * act on.
 *
 * Graph and ARM share the body shape {"error":{"code":"…","message":"…"}}.
 * The message names the API, the HTTP status, Azure's error code and the
 * resource type taken from the path ("Microsoft.Sql/servers" for ARM,
 * "users" for Graph), so that "which permission is missing" is answerable
 * from the log line alone; the hint says what to grant.  Azure's own message
 * is appended (shortened, and passed through the log redactor).  Never a
 * token: the request headers are not an input here.
 */
#ifndef AI_AZURE_AZURE_ERROR_H
#define AI_AZURE_AZURE_ERROR_H

#include "azure/azure_client.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

/* Resource type of an ARM/Graph path or URL, into out ("" if none). */
void azure_error_resource_type(const char *path, char *out, size_t size);

/* Name of an API for messages ("Microsoft Graph", "Azure Resource Manager"). */
const char *azure_api_name(azure_api api);
/* Label value for metrics ("graph", "arm", "data"). */
const char *azure_api_label(azure_api api);

/* True for an ARM 404 that means the subscription itself does not exist
 * (GET /subscriptions/{id}, or error code SubscriptionNotFound): a list
 * under it is then an error, not an empty list. */
bool azure_error_subscription_missing(azure_api api, int status, const char *path,
                                      const char *body, size_t body_len);

/* Fills err for an HTTP error answer; returns -1. */
int azure_error_from_response(azure_api api, int status, const char *path, const char *body,
                              size_t body_len, err_info *err);

#endif

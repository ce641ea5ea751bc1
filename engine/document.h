/*
 * document: the data-model section of the README generated from the step
 * table, in the format of JupiterOne's `j1-integration document` (see the
 * generated section of docs/spec/seed-azure-integration.md): entities
 * sorted by resource name, relationships — direct and mapped, as the
 * SDK release of the seed prints them ("created/mapped") — in one table
 * sorted by _type, columns padded to the widest cell.  The text is what goes between the J1_DOCUMENTATION markers
 * (markers excluded).
 */
#ifndef AI_ENGINE_DOCUMENT_H
#define AI_ENGINE_DOCUMENT_H

#include "engine/step.h"

#include <stddef.h>

/* Returns the section (caller frees), or NULL when out of memory. */
char *document_generate(const step_def *const *table, size_t count);

/* The text between "<!-- {J1_DOCUMENTATION_MARKER_START} -->\n" and
 * "<!-- {J1_DOCUMENTATION_MARKER_END} -->" in `markdown`, or NULL when the
 * markers are missing.  Caller frees. */
char *document_extract(const char *markdown);

#endif

/*
 * sdk_writer: a graph_sink that writes JupiterOne's integration-SDK on-disk
 * layout (docs/spec/jupiterone.md §3): <root>/graph/<stepId>/entities/
 * <uuid>.json = {"entities":[...]} (relationships likewise), one _type and
 * at most 500 objects per file, index/<kind>/<_type>/<uuid>.json symlinks,
 * and summary.json at finish.  Every file is written to a temporary name
 * and renamed, so a reader never sees half a file.  The root is deleted and
 * recreated by sdk_writer_new (the SDK does the same at every run), but only
 * when it is absent, empty or an earlier output (nothing at its top but
 * graph, index, summary.json, key-tracker.db): anything else (a file, a
 * directory holding other files, a symbolic link) is refused, so that a
 * mistyped --output never deletes what collect did not write.
 */
#ifndef AI_ENGINE_SDK_WRITER_H
#define AI_ENGINE_SDK_WRITER_H

#include "common/error.h"
#include "engine/graph_sink.h"

#define SDK_WRITER_FILE_OBJECTS 500

typedef struct sdk_writer sdk_writer;

int sdk_writer_new(const char *root, sdk_writer **out, err_info *err);
void sdk_writer_free(sdk_writer *w);
/* The sink view (valid while w lives). */
graph_sink sdk_writer_sink(sdk_writer *w);
/* Files written so far (complete after finish). */
unsigned long sdk_writer_files(sdk_writer *w);

#endif

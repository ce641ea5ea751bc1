/*
 * schema_data: the data-model files embedded at build time
 * (engine/cmake/embed_schemas.cmake generates the definitions).
 */
#ifndef AI_ENGINE_SCHEMA_DATA_H
#define AI_ENGINE_SCHEMA_DATA_H

typedef struct schema_blob {
    const char *name;  /* class name, "Host" */
    const char *json;  /* the schema file's text, NUL-terminated */
} schema_blob;

/* Terminated by {NULL, NULL}; sorted by name. */
extern const schema_blob schema_data_classes[];
/* data-model/relationship-classes.txt (space/newline separated). */
extern const char *const schema_data_relationship_classes;

#endif

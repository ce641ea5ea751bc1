/*
 * job_engine: placeholder until the ingestion engine lands; refuses to
 * create a runner so `serve` fails loudly instead of pretending to ingest.
 */
#include "service/job_engine.h"

int job_engine_new(const job_engine_settings *settings, job_engine **out, err_info *err)
{
    (void)settings;
    *out = NULL;
    err_set(err, ERR_INTERNAL, "the ingestion engine is not part of this build");
    return err_hint(err, "build a release that includes engine/ and service/job_engine.c");
}

job_runner job_engine_runner(job_engine *engine)
{
    (void)engine;
    return (job_runner){0};
}

void job_engine_free(job_engine *engine)
{
    (void)engine;
}

-- Job queue and job status.  See storage/job_store.h for the rules.
CREATE TABLE jobs (
    id                   uuid PRIMARY KEY,
    event_id             text NOT NULL,
    account_id           text NOT NULL,
    instance_id          text NOT NULL,
    instance_name        text NOT NULL,
    instance_description text,
    j1_job_id            text,
    config_enc           bytea NOT NULL,          -- AES-256-GCM envelope, AAD = id
    status               text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued','running','succeeded','partial','failed','cancelled')),
    attempts             integer NOT NULL DEFAULT 0,
    max_attempts         integer NOT NULL,
    run_after            timestamptz NOT NULL DEFAULT now(),
    lease_owner          text,
    lease_expires_at     timestamptz,
    cancel_requested     boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    finished_at          timestamptz,
    error                text,
    total_entities       bigint NOT NULL DEFAULT 0,
    total_relationships  bigint NOT NULL DEFAULT 0,
    total_api_requests   bigint NOT NULL DEFAULT 0,
    total_throttled      bigint NOT NULL DEFAULT 0,
    upload_sync_job_id   text,
    upload_status        text
);

-- One instance never runs twice at once; at most one queued job per instance
-- (events coalesce onto it).
CREATE UNIQUE INDEX jobs_one_running_per_instance ON jobs (instance_id) WHERE status = 'running';
CREATE UNIQUE INDEX jobs_one_queued_per_instance ON jobs (instance_id) WHERE status = 'queued';
CREATE INDEX jobs_runnable ON jobs (run_after, created_at) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_instance_created ON jobs (instance_id, created_at DESC);
CREATE INDEX jobs_created ON jobs (created_at DESC);

-- Every event id ever accepted, mapped to the job it created or joined.
CREATE TABLE job_events (
    event_id    text PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    coalesced   boolean NOT NULL DEFAULT false,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON job_events (job_id);

CREATE TABLE job_steps (
    job_id        uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    ordinal       integer NOT NULL,
    step_id       text NOT NULL,
    name          text NOT NULL,
    status        text NOT NULL
        CHECK (status IN ('pending','running','success','failure','skipped')),
    entities      bigint NOT NULL DEFAULT 0,
    relationships bigint NOT NULL DEFAULT 0,
    duration_ms   bigint NOT NULL DEFAULT 0,
    error         text,
    PRIMARY KEY (job_id, step_id)
);

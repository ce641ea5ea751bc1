-- Finished jobs are deleted JOB_RETENTION_DAYS after they finished
-- (job_store_purge_finished); this index finds them without a table scan.
CREATE INDEX jobs_finished ON jobs (finished_at)
    WHERE status IN ('succeeded', 'partial', 'failed', 'cancelled');

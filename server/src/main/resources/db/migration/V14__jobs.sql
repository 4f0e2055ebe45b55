-- Background jobs: a durable queue in the same database as the writes that cause them, so a
-- job is enqueued in the caller's transaction and rolls back with it (a transactional outbox).
--
-- Workers on every replica claim due jobs with FOR UPDATE SKIP LOCKED under a lease
-- (locked_by, locked_until); a worker that dies leaves a lease that runs out, and another
-- worker takes the job again. A failed attempt is retried at the run_at the server computes
-- (exponential backoff with jitter); after max_attempts the job is DEAD and kept for
-- inspection. DONE rows are deleted after a retention.
--
-- Row-level security: jobs are server-internal and a worker acts for many owners, so the
-- application role cannot read, change or delete jobs directly. It may only INSERT a job for
-- the transaction's user (or an owner who granted that user something, for writes a grantee
-- makes in the owner's data), or any job as the admin. Everything else goes through the
-- SECURITY DEFINER functions below, each doing one queue step; the job's work itself then
-- runs in the handler's own transactions as the job's owner, where RLS applies again.

CREATE TABLE cairn.jobs (
    id           uuid        PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]{0,62}$'),
    -- whose work it is (the handler acts as this user); NULL for server-wide work
    owner_id     uuid        REFERENCES cairn.users (id) ON DELETE CASCADE,
    payload      jsonb       NOT NULL DEFAULT '{}',
    -- at most one PENDING job per kind, owner and key (enqueueing a twin does nothing)
    dedupe_key   text        CHECK (length(dedupe_key) <= 200),
    state        text        NOT NULL DEFAULT 'PENDING'
                             CHECK (state IN ('PENDING', 'RUNNING', 'DONE', 'DEAD')),
    -- attempts started so far (a claim counts one)
    attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer     NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    run_at       timestamptz NOT NULL,
    locked_by    text,
    locked_until timestamptz,
    -- the last failure, scrubbed of data by the server and short
    last_error   text        CHECK (length(last_error) <= 500),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT jobs_lease CHECK ((state = 'RUNNING') = (locked_until IS NOT NULL))
);
-- the claim: due PENDING jobs oldest first, expired RUNNING leases
CREATE INDEX jobs_state_run_at_idx ON cairn.jobs (state, run_at);
CREATE INDEX jobs_lease_idx ON cairn.jobs (locked_until) WHERE state = 'RUNNING';
CREATE INDEX jobs_owner_idx ON cairn.jobs (owner_id) WHERE owner_id IS NOT NULL;
CREATE UNIQUE INDEX jobs_pending_dedupe_key ON cairn.jobs
    (kind, coalesce(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), dedupe_key)
    WHERE state = 'PENDING' AND dedupe_key IS NOT NULL;

ALTER TABLE cairn.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_enqueue ON cairn.jobs FOR INSERT
    WITH CHECK (cairn.is_admin()
                OR (owner_id IS NOT NULL
                    AND (owner_id = cairn.current_user_id() OR cairn.has_live_grant_from(owner_id))));
GRANT INSERT ON cairn.jobs TO ${app_role};

-- Claims up to p_limit due jobs of the given kinds for p_worker until p_locked_until: PENDING
-- jobs whose run_at has come, and RUNNING jobs whose lease ran out (their worker died or
-- stalled). A job whose lease ran out on its last attempt is dead instead. SKIP LOCKED: two
-- workers claiming at once take different jobs and never wait on each other.
CREATE FUNCTION cairn.claim_jobs(p_kinds text[], p_worker text, p_limit integer,
                                 p_locked_until timestamptz)
    RETURNS TABLE (id uuid, kind text, owner_id uuid, payload jsonb, attempts integer,
                   max_attempts integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF p_limit < 1 OR p_limit > 1000 OR p_locked_until <= cairn.now() OR coalesce(p_worker, '') = '' THEN
        RAISE EXCEPTION 'claim_jobs: bad arguments' USING ERRCODE = '22023';
    END IF;
    UPDATE cairn.jobs j
       SET state = 'DEAD', locked_by = NULL, locked_until = NULL, updated_at = cairn.now(),
           last_error = left('lease expired on the last attempt; ' || coalesce(j.last_error, ''), 500)
     WHERE j.id IN (SELECT x.id FROM cairn.jobs x
                     WHERE x.state = 'RUNNING' AND x.locked_until <= cairn.now()
                       AND x.kind = ANY (p_kinds) AND x.attempts >= x.max_attempts
                     FOR UPDATE SKIP LOCKED);
    RETURN QUERY
    WITH picked AS MATERIALIZED (
        SELECT x.id FROM cairn.jobs x
         WHERE x.kind = ANY (p_kinds)
           AND ((x.state = 'PENDING' AND x.run_at <= cairn.now())
                OR (x.state = 'RUNNING' AND x.locked_until <= cairn.now() AND x.attempts < x.max_attempts))
         ORDER BY x.run_at
         LIMIT p_limit
         FOR UPDATE SKIP LOCKED)
    UPDATE cairn.jobs j
       SET state = 'RUNNING', attempts = j.attempts + 1, locked_by = p_worker,
           locked_until = p_locked_until, updated_at = cairn.now()
      FROM picked
     WHERE j.id = picked.id
    RETURNING j.id, j.kind, j.owner_id, j.payload, j.attempts, j.max_attempts;
END $$;

-- Marks one attempt done, only while the caller still holds its lease (same worker, same
-- attempt): a worker whose lease ran out and was taken over cannot finish the new attempt.
CREATE FUNCTION cairn.finish_job(p_id uuid, p_worker text, p_attempt integer) RETURNS boolean
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (
        UPDATE cairn.jobs
           SET state = 'DONE', locked_by = NULL, locked_until = NULL, updated_at = cairn.now()
         WHERE id = p_id AND state = 'RUNNING' AND locked_by = p_worker AND attempts = p_attempt
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM done)
$$;

-- Records a failed attempt (same lease rule as finish_job): PENDING again at p_retry_at, or
-- DEAD after the last attempt. When a twin with the same dedupe key was enqueued meanwhile,
-- the retry is that twin (it does the same work), so this one is closed as DONE. Returns the
-- new state, or NULL when the lease was lost.
CREATE FUNCTION cairn.fail_job(p_id uuid, p_worker text, p_attempt integer, p_error text,
                               p_retry_at timestamptz) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job   cairn.jobs%ROWTYPE;
    next_ text;
BEGIN
    SELECT * INTO job FROM cairn.jobs
     WHERE id = p_id AND state = 'RUNNING' AND locked_by = p_worker AND attempts = p_attempt
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF job.attempts >= job.max_attempts THEN
        next_ := 'DEAD';
    ELSIF job.dedupe_key IS NOT NULL AND EXISTS (
            SELECT 1 FROM cairn.jobs t
             WHERE t.state = 'PENDING' AND t.kind = job.kind AND t.dedupe_key = job.dedupe_key
               AND t.owner_id IS NOT DISTINCT FROM job.owner_id) THEN
        next_ := 'DONE';
    ELSE
        next_ := 'PENDING';
    END IF;
    UPDATE cairn.jobs
       SET state = next_, locked_by = NULL, locked_until = NULL, updated_at = cairn.now(),
           run_at = CASE WHEN next_ = 'PENDING' THEN p_retry_at ELSE run_at END,
           last_error = left(coalesce(p_error, ''), 500)
     WHERE id = p_id;
    RETURN next_;
END $$;

-- Extends the leases p_worker holds and that have not run out (a worker renews while its
-- handlers run, so a long job is not taken over). Returns how many were extended.
CREATE FUNCTION cairn.renew_job_leases(p_worker text, p_locked_until timestamptz) RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH renewed AS (
        UPDATE cairn.jobs
           SET locked_until = greatest(locked_until, p_locked_until), updated_at = cairn.now()
         WHERE state = 'RUNNING' AND locked_by = p_worker AND locked_until > cairn.now()
        RETURNING 1)
    SELECT count(*)::integer FROM renewed
$$;

-- The queue's shape for metrics: counts per kind and state (DONE rows are not counted) and
-- the oldest due PENDING run_at. No owners, ids, payloads or errors.
CREATE FUNCTION cairn.job_queue_stats()
    RETURNS TABLE (kind text, state text, jobs bigint, oldest_due timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT j.kind, j.state, count(*),
           min(j.run_at) FILTER (WHERE j.state = 'PENDING' AND j.run_at <= cairn.now())
      FROM cairn.jobs j
     WHERE j.state IN ('PENDING', 'RUNNING', 'DEAD')
     GROUP BY j.kind, j.state
$$;

-- Deletes up to p_limit DONE jobs last changed before p_before (retention). DEAD jobs stay.
CREATE FUNCTION cairn.delete_done_jobs(p_before timestamptz, p_limit integer) RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM cairn.jobs
         WHERE id IN (SELECT id FROM cairn.jobs
                       WHERE state = 'DONE' AND updated_at < p_before
                       LIMIT least(greatest(p_limit, 0), 10000)
                       FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

REVOKE ALL ON FUNCTION cairn.claim_jobs(text[], text, integer, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.finish_job(uuid, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.fail_job(uuid, text, integer, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.renew_job_leases(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.job_queue_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.delete_done_jobs(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.claim_jobs(text[], text, integer, timestamptz) TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.finish_job(uuid, text, integer) TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.fail_job(uuid, text, integer, text, timestamptz) TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.renew_job_leases(text, timestamptz) TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.job_queue_stats() TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.delete_done_jobs(timestamptz, integer) TO ${app_role};

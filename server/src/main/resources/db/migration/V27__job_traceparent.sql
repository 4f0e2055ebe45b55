-- The W3C trace context (traceparent) of the span that enqueued a job, so the job's own span can
-- link back to the request that caused it. Only ids and the sampled flag (55 characters), never
-- data; NULL when nothing was traced (tracing off, or enqueued by SQL such as V22's backfill).
ALTER TABLE cairn.jobs
    ADD COLUMN traceparent text CHECK (traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$');

-- claim_jobs as in V14, also returning the traceparent (a function's result type cannot be
-- replaced in place, hence drop and create; both in this migration's one transaction).
DROP FUNCTION cairn.claim_jobs(text[], text, integer, timestamptz);
CREATE FUNCTION cairn.claim_jobs(p_kinds text[], p_worker text, p_limit integer,
                                 p_locked_until timestamptz)
    RETURNS TABLE (id uuid, kind text, owner_id uuid, payload jsonb, attempts integer,
                   max_attempts integer, traceparent text)
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
    RETURNING j.id, j.kind, j.owner_id, j.payload, j.attempts, j.max_attempts, j.traceparent;
END $$;
REVOKE ALL ON FUNCTION cairn.claim_jobs(text[], text, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.claim_jobs(text[], text, integer, timestamptz) TO ${app_role};

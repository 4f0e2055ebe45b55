-- An audit queue in front of the hash chain.
--
-- Until now every audited action took its owner's head row (UPDATE audit_heads ... RETURNING)
-- and held it until commit, so one owner's calls ran one at a time, even reads. Now the
-- action's transaction only INSERTs its event here (same commit: durable with the action),
-- with no read of the head and no lock; a background chainer (AuditChainer), as the owner,
-- later takes the head row FOR UPDATE, gives the queued events their seq, prev_hash and hash
-- (exactly as before), INSERTs them into audit_events and deletes them from here, in one
-- transaction. Order in the chain is queue order (id, taken at the INSERT, where the old
-- design took its seq).
CREATE TABLE cairn.audit_pending (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id    uuid        NOT NULL,
    event_time  timestamptz NOT NULL,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    target      text        NOT NULL DEFAULT '',
    via_grant   uuid,
    via_link    uuid,
    via_consent uuid,
    outcome     text        NOT NULL DEFAULT 'OK',
    details     jsonb       NOT NULL DEFAULT '{}',
    request_id  text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_pending_owner_idx ON cairn.audit_pending (owner_id, id);

-- Which queued event a chained event was: a queued event is chained at most once, and may
-- leave the queue only once it is in the chain (the DELETE policy below).
ALTER TABLE cairn.audit_events ADD COLUMN queue_id bigint;
CREATE UNIQUE INDEX audit_events_queue_idx ON cairn.audit_events (owner_id, queue_id);

GRANT SELECT, INSERT, DELETE ON cairn.audit_pending TO ${app_role};

ALTER TABLE cairn.audit_pending ENABLE ROW LEVEL SECURITY;
-- whoever may append to a chain may queue for it (V10's rule, unchanged)
CREATE POLICY audit_pending_queue ON cairn.audit_pending FOR INSERT
    WITH CHECK (coalesce(cairn.may_append_audit_for(owner_id), false));
CREATE POLICY audit_pending_owner_read ON cairn.audit_pending FOR SELECT
    USING (owner_id = cairn.current_user_id());
-- no UPDATE at all; a DELETE only of an event already chained, by its owner's transaction:
-- a bug (or an intruder with the application's role) cannot drop an event from the queue
CREATE POLICY audit_pending_dequeue ON cairn.audit_pending FOR DELETE
    USING (owner_id = cairn.current_user_id()
           AND EXISTS (SELECT 1 FROM cairn.audit_events e
                        WHERE e.owner_id = audit_pending.owner_id AND e.queue_id = audit_pending.id));

-- Owners with queued events, those waiting longest first (for the chainer, which then acts as
-- each owner in turn). Returns ids only.
CREATE FUNCTION cairn.owners_with_pending_audit(p_limit integer) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.owner_id FROM cairn.audit_pending p
     GROUP BY p.owner_id
     ORDER BY min(p.id)
     LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION cairn.owners_with_pending_audit(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.owners_with_pending_audit(integer) TO ${app_role};

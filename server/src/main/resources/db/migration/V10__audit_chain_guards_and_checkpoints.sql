-- The audit chain as a second wall, and signed checkpoints of its head.

-- V2 let every transaction append to any owner's chain and move any owner's head (USING and
-- WITH CHECK true), so a bug could write into a stranger's log. A transaction may now touch
-- only a chain it has a part in: its own user's, or that of an owner who shares with it
-- (a live grant for reads and re-shares under it, an access link it made, a consent it
-- received). Grantee reads stay audited in the read's own transaction; appends for anyone
-- else (a refused lookup, a link redemption, a purge) run as the owner.
CREATE FUNCTION cairn.may_append_audit_for(p_owner uuid) RETURNS boolean
    LANGUAGE sql STABLE
AS $$
    SELECT p_owner = cairn.current_user_id()
        OR cairn.has_live_grant_from(p_owner)
        OR EXISTS (SELECT 1 FROM cairn.access_links l
                    WHERE l.creator_id = cairn.current_user_id() AND l.owner_id = p_owner)
        OR EXISTS (SELECT 1 FROM cairn.consents c
                    WHERE c.recipient_id = cairn.current_user_id() AND c.owner_id = p_owner)
$$;
GRANT EXECUTE ON FUNCTION cairn.may_append_audit_for(uuid) TO ${app_role};

DROP POLICY audit_heads_append ON cairn.audit_heads;
CREATE POLICY audit_heads_chain ON cairn.audit_heads
    USING (coalesce(cairn.may_append_audit_for(owner_id), false))
    WITH CHECK (coalesce(cairn.may_append_audit_for(owner_id), false));

DROP POLICY audit_events_append ON cairn.audit_events;
CREATE POLICY audit_events_append ON cairn.audit_events FOR INSERT
    WITH CHECK (coalesce(cairn.may_append_audit_for(owner_id), false));

-- Signed checkpoints (as transparency logs publish signed tree heads): the server's Ed25519
-- attestation key signs (owner, seq, hash, time) of an owner's head. A database administrator
-- can rewrite a chain and recompute every hash so it is consistent with itself, but cannot
-- sign: VerifyAuditLog checks the chain against the latest checkpoint. Append-only.
CREATE TABLE cairn.audit_checkpoints (
    owner_id  uuid        NOT NULL REFERENCES cairn.users (id),
    seq       bigint      NOT NULL CHECK (seq > 0),
    hash      bytea       NOT NULL CHECK (length(hash) = 32),
    signed_at timestamptz NOT NULL,
    key_id    text        NOT NULL,
    -- Ed25519 over the canonical checkpoint (AuditCheckpoint.payload)
    signature bytea       NOT NULL,
    PRIMARY KEY (owner_id, seq)
);
ALTER TABLE cairn.audit_checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_checkpoints_owner ON cairn.audit_checkpoints
    USING (owner_id = cairn.current_user_id())
    WITH CHECK (owner_id = cairn.current_user_id());
GRANT SELECT, INSERT ON cairn.audit_checkpoints TO ${app_role};

-- Owners whose head moved past their latest checkpoint (for the checkpointer, which then
-- acts as each owner in turn). Returns ids only.
CREATE FUNCTION cairn.owners_with_unsigned_heads(p_limit integer) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.owner_id FROM cairn.audit_heads h
     WHERE h.seq > coalesce((SELECT max(c.seq) FROM cairn.audit_checkpoints c WHERE c.owner_id = h.owner_id), 0)
     LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION cairn.owners_with_unsigned_heads(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.owners_with_unsigned_heads(integer) TO ${app_role};

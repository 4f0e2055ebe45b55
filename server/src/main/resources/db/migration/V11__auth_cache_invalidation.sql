-- Replicas cache verified tokens for a few seconds. These triggers tell every replica, through
-- NOTIFY on channel cairn_auth, which cached entries a change makes stale: the token id, or
-- 'user:<id>' for every token of a user. They fire inside the changing transaction, so the
-- notification is delivered exactly when (and only if) the change commits. last_used_at (the
-- once-a-minute touch) is not watched: it never affects whether a token is accepted.

CREATE FUNCTION cairn.notify_auth_token_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
       OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
       OR OLD.scopes IS DISTINCT FROM NEW.scopes
       OR OLD.secret_sha256 IS DISTINCT FROM NEW.secret_sha256
       OR OLD.owner_id IS DISTINCT FROM NEW.owner_id THEN
        PERFORM pg_notify('cairn_auth', OLD.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_notify_auth
    AFTER UPDATE OF revoked_at, expires_at, scopes, secret_sha256, owner_id OR DELETE
    ON cairn.api_tokens
    FOR EACH ROW EXECUTE FUNCTION cairn.notify_auth_token_changed();

CREATE FUNCTION cairn.notify_auth_user_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at THEN
        PERFORM pg_notify('cairn_auth', 'user:' || OLD.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify_auth
    AFTER UPDATE OF deleted_at OR DELETE
    ON cairn.users
    FOR EACH ROW EXECUTE FUNCTION cairn.notify_auth_user_changed();

-- Trigger functions are not for calling; nobody needs EXECUTE for the triggers to fire.
REVOKE ALL ON FUNCTION cairn.notify_auth_token_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.notify_auth_user_changed() FROM PUBLIC;

-- GetUser answers a user's own profile from their token's cache entry (TokenAuthenticator.ownProfile),
-- so every change to what it returns must evict that entry on every replica, not only deletion:
-- the users trigger now also fires when the username, display name or creation time changes.
-- No RPC changes them today; an operator's UPDATE must still be seen on the next call.
DROP TRIGGER users_notify_auth ON cairn.users;

CREATE OR REPLACE FUNCTION cairn.notify_auth_user_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
       OR OLD.username IS DISTINCT FROM NEW.username
       OR OLD.display_name IS DISTINCT FROM NEW.display_name
       OR OLD.created_at IS DISTINCT FROM NEW.created_at
       OR OLD.id IS DISTINCT FROM NEW.id THEN
        PERFORM pg_notify('cairn_auth', 'user:' || OLD.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify_auth
    AFTER UPDATE OF deleted_at, username, display_name, created_at, id OR DELETE
    ON cairn.users
    FOR EACH ROW EXECUTE FUNCTION cairn.notify_auth_user_changed();

REVOKE ALL ON FUNCTION cairn.notify_auth_user_changed() FROM PUBLIC;

-- A call authenticated from the token cache need not wait for the LISTEN connection's round trip
-- (the barrier that proves no revocation is pending) when its first database statement checks the
-- token itself: every transaction's locals (Database.SET_TRANSACTION_LOCALS) call this function,
-- with the call's token while that call is not yet confirmed, else with '' (nothing to check). It
-- runs at the statement's snapshot, taken after the call began, so a revocation or a deletion
-- acknowledged before then is seen here, on any replica, whether or not its NOTIFY has arrived;
-- the statement then fails with CA401 before the transaction's own statements run (they follow
-- it in the same pipeline, and PostgreSQL skips them once it has failed), and the call answers
-- UNAUTHENTICATED (TOKEN_REVOKED). A call that answers without such a statement waits for the
-- barrier before its first response instead (grpc.AuthInterceptor).
CREATE FUNCTION cairn.check_call_token(p_token text, p_user text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_token = '' THEN
        RETURN true;
    END IF;
    PERFORM 1 FROM cairn.api_tokens t JOIN cairn.users u ON u.id = t.owner_id
      WHERE t.id = p_token::uuid AND t.owner_id = p_user::uuid
        AND t.revoked_at IS NULL AND u.deleted_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the call''s token has been revoked' USING ERRCODE = 'CA401';
    END IF;
    RETURN true;
END $$;

REVOKE ALL ON FUNCTION cairn.check_call_token(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.check_call_token(text, text) TO ${app_role};

-- A call authenticated from the cache records the token's use before its check has run (the
-- barrier or the statement above): a token revoked meanwhile is not marked used by the call it refuses.
CREATE OR REPLACE FUNCTION cairn.touch_token(p_token_id uuid) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE cairn.api_tokens SET last_used_at = now()
     WHERE id = p_token_id AND revoked_at IS NULL
       AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
$$;

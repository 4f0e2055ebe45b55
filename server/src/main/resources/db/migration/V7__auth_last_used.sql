-- Authentication reads last_used_at too, so the server records a use only when the stored
-- one is over a minute old: the common call is then one read and no write.
DROP FUNCTION cairn.authenticate_token(uuid);
CREATE FUNCTION cairn.authenticate_token(p_token_id uuid)
    RETURNS TABLE (owner_id uuid, secret_sha256 bytea, scopes text[], expires_at timestamptz,
                   revoked_at timestamptz, owner_deleted boolean, last_used_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.owner_id, t.secret_sha256, t.scopes, t.expires_at, t.revoked_at,
           u.deleted_at IS NOT NULL, t.last_used_at
      FROM cairn.api_tokens t
      JOIN cairn.users u ON u.id = t.owner_id
     WHERE t.id = p_token_id
$$;
REVOKE ALL ON FUNCTION cairn.authenticate_token(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.authenticate_token(uuid) TO ${app_role};

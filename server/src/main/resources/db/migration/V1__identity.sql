-- Identity: users and API tokens.
--
-- Every user-owned table carries owner_id and has row-level security keyed on the
-- transaction-local setting cairn.user_id (set by the server at the start of every
-- transaction). The application role (${app_role}) is not the owner of these tables and
-- has no BYPASSRLS, so the policies apply to it even when a query forgets its predicate.

CREATE SCHEMA IF NOT EXISTS cairn;
GRANT USAGE ON SCHEMA cairn TO ${app_role};

-- The caller's user id for this transaction, or NULL when none is set.
CREATE FUNCTION cairn.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('cairn.user_id', true), '')::uuid $$;

-- True when the transaction runs for the configured admin token.
CREATE FUNCTION cairn.is_admin() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(current_setting('cairn.admin', true), '') = 'on' $$;

GRANT EXECUTE ON FUNCTION cairn.current_user_id() TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.is_admin() TO ${app_role};

CREATE TABLE cairn.users (
    id                uuid        PRIMARY KEY,
    username          text        NOT NULL,
    display_name      text        NOT NULL DEFAULT '',
    create_request_id uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    -- usernames are never reused, even after deletion, so a name cannot be taken over
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_create_request_id_key UNIQUE (create_request_id),
    CONSTRAINT users_username_format CHECK (username ~ '^[a-z][a-z0-9_.-]{0,62}$')
);

ALTER TABLE cairn.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_self ON cairn.users
    USING (id = cairn.current_user_id() OR cairn.is_admin())
    WITH CHECK (id = cairn.current_user_id() OR cairn.is_admin());
GRANT SELECT, INSERT, UPDATE ON cairn.users TO ${app_role};

CREATE TABLE cairn.api_tokens (
    id            uuid        PRIMARY KEY,
    owner_id      uuid        NOT NULL REFERENCES cairn.users (id) ON DELETE CASCADE,
    -- SHA-256 of the token's secret part; the secret itself is never stored
    secret_sha256 bytea       NOT NULL CHECK (length(secret_sha256) = 32),
    display_name  text        NOT NULL DEFAULT '',
    scopes        text[]      NOT NULL CHECK (cardinality(scopes) > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
-- ListApiTokens: newest first per owner, keyset on (created_at, id)
CREATE INDEX api_tokens_owner_created_idx ON cairn.api_tokens (owner_id, created_at DESC, id DESC);

ALTER TABLE cairn.api_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_tokens_owner ON cairn.api_tokens
    USING (owner_id = cairn.current_user_id() OR cairn.is_admin())
    WITH CHECK (owner_id = cairn.current_user_id() OR cairn.is_admin());
GRANT SELECT, INSERT, UPDATE, DELETE ON cairn.api_tokens TO ${app_role};

-- Authentication happens before the caller is known, so it cannot pass RLS. This function
-- (running as the schema owner) is the only way around it, and it answers for one token id
-- only: the stored hash is compared by the server in constant time.
CREATE FUNCTION cairn.authenticate_token(p_token_id uuid)
    RETURNS TABLE (owner_id uuid, secret_sha256 bytea, scopes text[], expires_at timestamptz,
                   revoked_at timestamptz, owner_deleted boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.owner_id, t.secret_sha256, t.scopes, t.expires_at, t.revoked_at, u.deleted_at IS NOT NULL
      FROM cairn.api_tokens t
      JOIN cairn.users u ON u.id = t.owner_id
     WHERE t.id = p_token_id
$$;

-- Records a successful use, at most once a minute per token so authentication stays read-mostly.
CREATE FUNCTION cairn.touch_token(p_token_id uuid) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE cairn.api_tokens SET last_used_at = now()
     WHERE id = p_token_id
       AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
$$;

REVOKE ALL ON FUNCTION cairn.authenticate_token(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.touch_token(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.authenticate_token(uuid) TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.touch_token(uuid) TO ${app_role};

-- Vault: per-owner data keys, items with immutable versions and encrypted content chunks,
-- collections with queryable record fields, grants, access links, consents and the
-- per-owner audit hash chain.
--
-- Row-level security mirrors what the repositories check: owners see their own rows,
-- grantees see what a live grant gives them (grant_role_on), and nothing else.

-- Trigram matching for record text queries (and the search vocabulary later). Trusted
-- extension: the schema owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

-- The server's clock for this transaction (set by the server from its injected Clock, so
-- expiry is the same instant in Java and in SQL); falls back to the transaction start.
CREATE FUNCTION cairn.now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(nullif(current_setting('cairn.now', true), '')::timestamptz, now()) $$;
GRANT EXECUTE ON FUNCTION cairn.now() TO ${app_role};

-- ---------------------------------------------------------------- data keys (crypto-shredding)
CREATE TABLE cairn.data_keys (
    owner_id       uuid        PRIMARY KEY REFERENCES cairn.users (id),
    -- which key-encryption key wrapped it (a Tink key id), for rotation
    kek_id         bigint      NOT NULL,
    -- the owner's Tink AEAD keyset, encrypted by the KEK with the owner id as associated data
    wrapped_keyset bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    rewrapped_at   timestamptz
);

-- ---------------------------------------------------------------- collections
CREATE TABLE cairn.collections (
    id                uuid        PRIMARY KEY,
    owner_id          uuid        NOT NULL REFERENCES cairn.users (id),
    display_name      text        NOT NULL DEFAULT '',
    description       text        NOT NULL DEFAULT '',
    -- the JSON Schema records must satisfy (metadata: stored in plaintext)
    json_schema       text        NOT NULL,
    -- top-level fields whose values are copied, in plaintext, to record_values for queries
    queryable_fields  text[]      NOT NULL DEFAULT '{}',
    revision          bigint      NOT NULL DEFAULT 1,
    create_request_id uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collections_owner_id_id_key UNIQUE (owner_id, id),
    CONSTRAINT collections_request_key UNIQUE (owner_id, create_request_id)
);
CREATE INDEX collections_owner_created_idx ON cairn.collections (owner_id, created_at DESC, id DESC);

-- ---------------------------------------------------------------- grants
CREATE TABLE cairn.grants (
    id                uuid        PRIMARY KEY,
    -- whose data the grant opens
    owner_id          uuid        NOT NULL REFERENCES cairn.users (id),
    -- who made it: the owner, or a holder of SHARE
    grantor_id        uuid        NOT NULL REFERENCES cairn.users (id),
    grantee_id        uuid        NOT NULL REFERENCES cairn.users (id),
    item_id           uuid,
    collection_id     uuid,
    role              text        NOT NULL CHECK (role IN ('READ', 'WRITE', 'SHARE')),
    purpose           text        NOT NULL DEFAULT '',
    starts_at         timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz,
    revoked_at        timestamptz,
    consent_id        uuid,
    create_request_id uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT grants_one_target CHECK ((item_id IS NULL) <> (collection_id IS NULL)),
    CONSTRAINT grants_request_key UNIQUE (grantor_id, create_request_id)
);
-- the authorisation check: live grants to me on an owner's item or collection
CREATE INDEX grants_grantee_idx ON cairn.grants (grantee_id, owner_id, item_id, collection_id)
    WHERE revoked_at IS NULL;
CREATE INDEX grants_owner_created_idx ON cairn.grants (owner_id, created_at DESC, id DESC);
CREATE INDEX grants_grantee_created_idx ON cairn.grants (grantee_id, created_at DESC, id DESC);
CREATE INDEX grants_grantor_created_idx ON cairn.grants (grantor_id, created_at DESC, id DESC);
CREATE INDEX grants_consent_idx ON cairn.grants (consent_id) WHERE consent_id IS NOT NULL;

-- Highest live role the caller holds on an owner's item (directly or through its
-- collection): 0 none, 1 READ, 2 WRITE, 3 SHARE. Runs with the caller's rights, so the
-- grants it can see are themselves filtered by RLS.
CREATE FUNCTION cairn.grant_role_on(p_owner uuid, p_item uuid, p_collection uuid) RETURNS int
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(max(CASE g.role WHEN 'READ' THEN 1 WHEN 'WRITE' THEN 2 WHEN 'SHARE' THEN 3 END), 0)
      FROM cairn.grants g
     WHERE g.grantee_id = cairn.current_user_id()
       AND g.owner_id = p_owner
       AND (g.item_id = p_item OR (p_collection IS NOT NULL AND g.collection_id = p_collection))
       AND g.revoked_at IS NULL
       AND g.starts_at <= cairn.now()
       AND (g.expires_at IS NULL OR g.expires_at > cairn.now())
$$;
GRANT EXECUTE ON FUNCTION cairn.grant_role_on(uuid, uuid, uuid) TO ${app_role};

-- True when the caller holds any live grant on the owner's data (to unwrap their data key).
CREATE FUNCTION cairn.has_live_grant_from(p_owner uuid) RETURNS boolean
    LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (
        SELECT 1 FROM cairn.grants g
         WHERE g.grantee_id = cairn.current_user_id()
           AND g.owner_id = p_owner
           AND g.revoked_at IS NULL
           AND g.starts_at <= cairn.now()
           AND (g.expires_at IS NULL OR g.expires_at > cairn.now()))
$$;
GRANT EXECUTE ON FUNCTION cairn.has_live_grant_from(uuid) TO ${app_role};

-- ---------------------------------------------------------------- items and versions
CREATE TABLE cairn.items (
    id                uuid        PRIMARY KEY,
    owner_id          uuid        NOT NULL REFERENCES cairn.users (id),
    kind              text        NOT NULL CHECK (kind IN ('DOCUMENT', 'RECORD')),
    collection_id     uuid,
    display_name      text        NOT NULL DEFAULT '',
    media_type        text        NOT NULL DEFAULT '',
    labels            jsonb       NOT NULL DEFAULT '{}',
    searchable        boolean     NOT NULL DEFAULT false,
    current_version   integer     NOT NULL,
    size_bytes        bigint      NOT NULL DEFAULT 0,
    content_sha256    bytea,
    -- bumped by every change (content or metadata); the etag is derived from it
    revision          bigint      NOT NULL DEFAULT 1,
    create_request_id uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    purge_after       timestamptz,
    CONSTRAINT items_owner_id_id_key UNIQUE (owner_id, id),
    CONSTRAINT items_request_key UNIQUE (owner_id, create_request_id),
    CONSTRAINT items_collection_fk FOREIGN KEY (owner_id, collection_id)
        REFERENCES cairn.collections (owner_id, id),
    CONSTRAINT items_record_has_collection CHECK (kind = 'DOCUMENT' OR collection_id IS NOT NULL)
);
CREATE INDEX items_owner_created_idx ON cairn.items (owner_id, created_at DESC, id DESC);
CREATE INDEX items_owner_collection_idx ON cairn.items (owner_id, collection_id, created_at DESC, id DESC);
CREATE INDEX items_labels_idx ON cairn.items USING gin (labels jsonb_path_ops);
CREATE INDEX items_purge_idx ON cairn.items (purge_after) WHERE purge_after IS NOT NULL;

CREATE TABLE cairn.item_versions (
    item_id        uuid        NOT NULL REFERENCES cairn.items (id) ON DELETE CASCADE,
    version        integer     NOT NULL CHECK (version > 0),
    owner_id       uuid        NOT NULL,
    author_id      uuid        NOT NULL,
    media_type     text        NOT NULL DEFAULT '',
    size_bytes     bigint      NOT NULL,
    content_sha256 bytea       NOT NULL,
    -- documents: the content blob (chunks in item_chunks); records: the encrypted JSON inline
    blob_id        uuid,
    chunk_count    integer     NOT NULL DEFAULT 0,
    record_ciphertext bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, version),
    CONSTRAINT item_versions_payload CHECK ((blob_id IS NULL) <> (record_ciphertext IS NULL))
);

-- Document content, in encrypted chunks of at most 1 MiB, written as an upload streams in
-- (each chunk in its own short transaction) and attached to a version when it completes.
-- Associated data binds each chunk to owner, item, blob and position.
CREATE TABLE cairn.item_chunks (
    blob_id    uuid        NOT NULL,
    seq        integer     NOT NULL CHECK (seq >= 0),
    owner_id   uuid        NOT NULL REFERENCES cairn.users (id),
    item_id    uuid        NOT NULL,
    ciphertext bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blob_id, seq)
);
CREATE INDEX item_chunks_item_idx ON cairn.item_chunks (owner_id, item_id);

-- Queryable record fields (plaintext copies of the fields a collection declares queryable),
-- one row per value (arrays: one per element), so QueryRecords is index-backed for any field.
CREATE TABLE cairn.record_values (
    owner_id      uuid    NOT NULL,
    collection_id uuid    NOT NULL,
    item_id       uuid    NOT NULL REFERENCES cairn.items (id) ON DELETE CASCADE,
    field         text    NOT NULL,
    num_value     numeric,
    text_value    text,
    bool_value    boolean,
    time_value    timestamptz
);
CREATE INDEX record_values_num_idx ON cairn.record_values (collection_id, field, num_value, item_id);
CREATE INDEX record_values_text_idx ON cairn.record_values (collection_id, field, text_value, item_id);
CREATE INDEX record_values_time_idx ON cairn.record_values (collection_id, field, time_value, item_id);
CREATE INDEX record_values_item_idx ON cairn.record_values (item_id);
CREATE INDEX record_values_trgm_idx ON cairn.record_values USING gin (text_value public.gin_trgm_ops);

-- ---------------------------------------------------------------- access links
CREATE TABLE cairn.access_links (
    id                  uuid        PRIMARY KEY,
    owner_id            uuid        NOT NULL REFERENCES cairn.users (id),
    creator_id          uuid        NOT NULL REFERENCES cairn.users (id),
    item_id             uuid        NOT NULL REFERENCES cairn.items (id) ON DELETE CASCADE,
    -- SHA-256 of the link's secret; the secret is shown once at creation
    secret_sha256       bytea       NOT NULL CHECK (length(secret_sha256) = 32),
    purpose             text        NOT NULL DEFAULT '',
    max_uses            integer     NOT NULL CHECK (max_uses > 0),
    use_count           integer     NOT NULL DEFAULT 0,
    expires_at          timestamptz NOT NULL,
    revoked_at          timestamptz,
    require_attestation boolean     NOT NULL DEFAULT false,
    create_request_id   uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT access_links_uses CHECK (use_count <= max_uses),
    CONSTRAINT access_links_request_key UNIQUE (creator_id, create_request_id)
);
CREATE INDEX access_links_owner_created_idx ON cairn.access_links (owner_id, created_at DESC, id DESC);
CREATE INDEX access_links_creator_created_idx ON cairn.access_links (creator_id, created_at DESC, id DESC);

-- ---------------------------------------------------------------- consents
CREATE TABLE cairn.consents (
    id                   uuid        PRIMARY KEY,
    owner_id             uuid        NOT NULL REFERENCES cairn.users (id),
    recipient_id         uuid        NOT NULL REFERENCES cairn.users (id),
    purpose              text        NOT NULL,
    purpose_categories   text[]      NOT NULL DEFAULT '{}',
    pii_categories       text[]      NOT NULL DEFAULT '{}',
    -- ITEMS, COLLECTION or LABELS, with the scope's value as JSON
    scope_kind           text        NOT NULL CHECK (scope_kind IN ('ITEMS', 'COLLECTION', 'LABELS')),
    scope                jsonb       NOT NULL,
    role                 text        NOT NULL CHECK (role IN ('READ', 'WRITE', 'SHARE')),
    starts_at            timestamptz NOT NULL,
    ends_at              timestamptz,
    agreement            jsonb       NOT NULL,
    jurisdiction         text        NOT NULL DEFAULT '',
    policy_url           text        NOT NULL DEFAULT '',
    sensitive            boolean     NOT NULL DEFAULT false,
    sensitive_categories text[]      NOT NULL DEFAULT '{}',
    create_request_id    uuid,
    created_at           timestamptz NOT NULL DEFAULT now(),
    revoked_at           timestamptz,
    CONSTRAINT consents_request_key UNIQUE (owner_id, create_request_id)
);
CREATE INDEX consents_owner_created_idx ON cairn.consents (owner_id, created_at DESC, id DESC);
CREATE INDEX consents_recipient_created_idx ON cairn.consents (recipient_id, created_at DESC, id DESC);
ALTER TABLE cairn.grants
    ADD CONSTRAINT grants_consent_fk FOREIGN KEY (consent_id) REFERENCES cairn.consents (id);

-- ---------------------------------------------------------------- audit
-- One hash chain per owner: hash = SHA-256(prev_hash || canonical event). The head row is
-- locked (SELECT ... FOR UPDATE) by each append, so a chain has no forks or gaps even with
-- concurrent writers; the event row is inserted in the same transaction as the action.
CREATE TABLE cairn.audit_heads (
    owner_id uuid   PRIMARY KEY REFERENCES cairn.users (id),
    seq      bigint NOT NULL,
    hash     bytea  NOT NULL
);

CREATE TABLE cairn.audit_events (
    owner_id    uuid        NOT NULL,
    seq         bigint      NOT NULL CHECK (seq > 0),
    event_time  timestamptz NOT NULL,
    -- users/{id}, accessLinks/{id}, or "anonymous"
    actor       text        NOT NULL,
    action      text        NOT NULL,
    -- the resource acted on (items/{id}, grants/{id}, ...)
    target      text        NOT NULL DEFAULT '',
    via_grant   uuid,
    via_link    uuid,
    via_consent uuid,
    outcome     text        NOT NULL DEFAULT 'OK',
    -- extra facts; sensitive values are HMAC'd before they get here
    details     jsonb       NOT NULL DEFAULT '{}',
    request_id  text        NOT NULL DEFAULT '',
    prev_hash   bytea       NOT NULL,
    hash        bytea       NOT NULL,
    PRIMARY KEY (owner_id, seq)
);
CREATE INDEX audit_events_owner_time_idx ON cairn.audit_events (owner_id, event_time DESC, seq DESC);
CREATE INDEX audit_events_owner_target_idx ON cairn.audit_events (owner_id, target, seq DESC);
CREATE INDEX audit_events_owner_actor_idx ON cairn.audit_events (owner_id, actor, seq DESC);

-- ---------------------------------------------------------------- privileges
GRANT SELECT, INSERT, DELETE ON cairn.data_keys TO ${app_role};
GRANT UPDATE (kek_id, wrapped_keyset, rewrapped_at) ON cairn.data_keys TO ${app_role};
GRANT SELECT, INSERT, UPDATE ON cairn.collections TO ${app_role};
GRANT SELECT, INSERT, UPDATE ON cairn.grants TO ${app_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON cairn.items TO ${app_role};
GRANT SELECT, INSERT, DELETE ON cairn.item_versions TO ${app_role};
GRANT SELECT, INSERT, DELETE ON cairn.item_chunks TO ${app_role};
GRANT SELECT, INSERT, DELETE ON cairn.record_values TO ${app_role};
GRANT SELECT, INSERT, UPDATE ON cairn.access_links TO ${app_role};
GRANT SELECT, INSERT, UPDATE ON cairn.consents TO ${app_role};
GRANT SELECT, INSERT, UPDATE ON cairn.audit_heads TO ${app_role};
-- append-only: no UPDATE, no DELETE, ever
GRANT SELECT, INSERT ON cairn.audit_events TO ${app_role};

-- ---------------------------------------------------------------- row-level security
ALTER TABLE cairn.data_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_keys_read ON cairn.data_keys FOR SELECT
    USING (owner_id = cairn.current_user_id() OR cairn.has_live_grant_from(owner_id));
CREATE POLICY data_keys_write ON cairn.data_keys FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id());
CREATE POLICY data_keys_update ON cairn.data_keys FOR UPDATE
    USING (owner_id = cairn.current_user_id() OR cairn.is_admin());
CREATE POLICY data_keys_delete ON cairn.data_keys FOR DELETE
    USING (owner_id = cairn.current_user_id() OR cairn.is_admin());

ALTER TABLE cairn.collections ENABLE ROW LEVEL SECURITY;
CREATE POLICY collections_read ON cairn.collections FOR SELECT
    USING (owner_id = cairn.current_user_id() OR cairn.grant_role_on(owner_id, NULL, id) >= 1);
CREATE POLICY collections_insert ON cairn.collections FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id());
CREATE POLICY collections_update ON cairn.collections FOR UPDATE
    USING (owner_id = cairn.current_user_id());

ALTER TABLE cairn.grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY grants_read ON cairn.grants FOR SELECT
    USING (cairn.current_user_id() IN (owner_id, grantor_id, grantee_id));
CREATE POLICY grants_insert ON cairn.grants FOR INSERT
    WITH CHECK (grantor_id = cairn.current_user_id());
CREATE POLICY grants_update ON cairn.grants FOR UPDATE
    USING (cairn.current_user_id() IN (owner_id, grantor_id));

ALTER TABLE cairn.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_read ON cairn.items FOR SELECT
    USING (owner_id = cairn.current_user_id() OR cairn.grant_role_on(owner_id, id, collection_id) >= 1);
CREATE POLICY items_insert ON cairn.items FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id()
                OR (collection_id IS NOT NULL AND cairn.grant_role_on(owner_id, NULL, collection_id) >= 2));
CREATE POLICY items_update ON cairn.items FOR UPDATE
    USING (owner_id = cairn.current_user_id() OR cairn.grant_role_on(owner_id, id, collection_id) >= 2);
CREATE POLICY items_delete ON cairn.items FOR DELETE
    USING (owner_id = cairn.current_user_id());

-- versions, chunks and record values are visible exactly when their item is
ALTER TABLE cairn.item_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY item_versions_read ON cairn.item_versions FOR SELECT
    USING (EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));
CREATE POLICY item_versions_insert ON cairn.item_versions FOR INSERT
    WITH CHECK (author_id = cairn.current_user_id()
                AND (owner_id = cairn.current_user_id()
                     OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id)));
CREATE POLICY item_versions_delete ON cairn.item_versions FOR DELETE
    USING (owner_id = cairn.current_user_id());

ALTER TABLE cairn.item_chunks ENABLE ROW LEVEL SECURITY;
CREATE POLICY item_chunks_read ON cairn.item_chunks FOR SELECT
    USING (owner_id = cairn.current_user_id() OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));
CREATE POLICY item_chunks_insert ON cairn.item_chunks FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id() OR cairn.grant_role_on(owner_id, item_id, NULL) >= 2);
CREATE POLICY item_chunks_delete ON cairn.item_chunks FOR DELETE
    USING (owner_id = cairn.current_user_id());

ALTER TABLE cairn.record_values ENABLE ROW LEVEL SECURITY;
CREATE POLICY record_values_read ON cairn.record_values FOR SELECT
    USING (owner_id = cairn.current_user_id() OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));
CREATE POLICY record_values_insert ON cairn.record_values FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id() OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));
CREATE POLICY record_values_delete ON cairn.record_values FOR DELETE
    USING (owner_id = cairn.current_user_id() OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));

ALTER TABLE cairn.access_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY access_links_owner ON cairn.access_links
    USING (cairn.current_user_id() IN (owner_id, creator_id))
    WITH CHECK (creator_id = cairn.current_user_id());

ALTER TABLE cairn.consents ENABLE ROW LEVEL SECURITY;
CREATE POLICY consents_read ON cairn.consents FOR SELECT
    USING (cairn.current_user_id() IN (owner_id, recipient_id));
CREATE POLICY consents_insert ON cairn.consents FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id());
CREATE POLICY consents_update ON cairn.consents FOR UPDATE
    USING (owner_id = cairn.current_user_id());

-- Audit heads hold only sequence numbers and hashes; anyone acting on an owner's data
-- appends to that owner's chain, so every authenticated transaction may advance them.
ALTER TABLE cairn.audit_heads ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_heads_append ON cairn.audit_heads
    USING (true) WITH CHECK (true);

ALTER TABLE cairn.audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_events_owner_read ON cairn.audit_events FOR SELECT
    USING (owner_id = cairn.current_user_id());
CREATE POLICY audit_events_append ON cairn.audit_events FOR INSERT
    WITH CHECK (true);

-- ---------------------------------------------------------------- access-link redemption
-- Redemption happens without an account, so it cannot pass RLS. These two functions (as the
-- schema owner) are the only way around it: one reads one link by id (the server compares
-- the secret's hash in constant time), the other consumes one use atomically, so a
-- single-use link redeemed by many callers at once succeeds exactly once.
CREATE FUNCTION cairn.find_access_link(p_link_id uuid)
    RETURNS TABLE (owner_id uuid, item_id uuid, secret_sha256 bytea, max_uses integer,
                   use_count integer, expires_at timestamptz, revoked_at timestamptz,
                   require_attestation boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.owner_id, l.item_id, l.secret_sha256, l.max_uses, l.use_count, l.expires_at,
           l.revoked_at, l.require_attestation
      FROM cairn.access_links l
     WHERE l.id = p_link_id
$$;

CREATE FUNCTION cairn.consume_access_link(p_link_id uuid) RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE cairn.access_links
       SET use_count = use_count + 1
     WHERE id = p_link_id
       AND revoked_at IS NULL
       AND use_count < max_uses
       AND expires_at > cairn.now()
    RETURNING use_count
$$;

REVOKE ALL ON FUNCTION cairn.find_access_link(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.consume_access_link(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.find_access_link(uuid) TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.consume_access_link(uuid) TO ${app_role};

-- Owners with items whose soft-delete retention has run out (for the purge job, which then
-- acts as each owner in turn).
CREATE FUNCTION cairn.owners_with_purgeable_items(p_limit integer) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT owner_id FROM cairn.items
     WHERE purge_after IS NOT NULL AND purge_after <= cairn.now()
     LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION cairn.owners_with_purgeable_items(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.owners_with_purgeable_items(integer) TO ${app_role};

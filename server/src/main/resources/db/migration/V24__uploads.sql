-- Resumable uploads (CreateUpload, AppendUpload, CompleteUpload): one row per upload, owned by
-- its creator. The bytes are staged as ordinary encrypted segments of the blob named here
-- (cairn.item_segments, one segment per append), so completing an upload only points a version
-- row at the blob: nothing is copied and nothing is ever stored in plaintext.

CREATE TABLE cairn.uploads (
    id              uuid        PRIMARY KEY,
    owner_id        uuid        NOT NULL REFERENCES cairn.users (id),
    request_id      uuid,
    -- the item the bytes are for: a new item's id (made now, used at completion) or the target
    item_id         uuid        NOT NULL,
    new_item        boolean     NOT NULL,
    display_name    text        NOT NULL DEFAULT '',
    media_type      text        NOT NULL DEFAULT '',
    labels          jsonb       NOT NULL DEFAULT '{}',
    searchable      boolean     NOT NULL DEFAULT false,
    etag            text        NOT NULL DEFAULT '',
    size_bytes      bigint      NOT NULL CHECK (size_bytes >= 0),
    content_sha256  bytea,
    blob_id         uuid        NOT NULL,
    committed_bytes bigint      NOT NULL DEFAULT 0 CHECK (committed_bytes BETWEEN 0 AND size_bytes),
    segment_count   integer     NOT NULL DEFAULT 0 CHECK (segment_count >= 0),
    -- the last append's offset and SHA-256: its retry (a lost answer) is recognised and harmless
    last_offset     bigint,
    last_sha256     bytea,
    -- set by CompleteUpload: the version it stored (a repeated complete returns that item)
    completed_version integer,
    created_at      timestamptz NOT NULL,
    expire_at       timestamptz NOT NULL,
    CONSTRAINT uploads_owner_id_id_key UNIQUE (owner_id, id),
    CONSTRAINT uploads_request_key UNIQUE (owner_id, request_id)
);
CREATE INDEX uploads_owner_open_idx ON cairn.uploads (owner_id, expire_at) WHERE completed_version IS NULL;
CREATE INDEX uploads_expire_idx ON cairn.uploads (expire_at);

ALTER TABLE cairn.uploads ENABLE ROW LEVEL SECURITY;
CREATE POLICY uploads_owner ON cairn.uploads
    USING (owner_id = cairn.current_user_id())
    WITH CHECK (owner_id = cairn.current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON cairn.uploads TO ${app_role};

-- The purge scheduler's one way across owners now also names owners with expired uploads, so
-- the same per-owner purge job removes them (it acts as the owner, under RLS). Still only ids.
CREATE OR REPLACE FUNCTION cairn.owners_with_purgeable_items(p_limit integer) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT owner_id FROM (
        SELECT owner_id FROM cairn.items WHERE purge_after IS NOT NULL AND purge_after <= cairn.now()
        UNION
        SELECT owner_id FROM cairn.uploads WHERE expire_at <= cairn.now()
    ) due
    LIMIT p_limit
$$;

-- GetItem as one statement: the access check, the version row, a small document's segments,
-- the owner's wrapped data key and the audit queue insert, which the server ran as five or six
-- statements (one round trip each). SECURITY INVOKER (the default): every read inside runs
-- under the caller's row-level security, from the cairn.user_id that the server's own
-- set_config put in the same transaction (Database.statement sends both in one pipeline with
-- one Sync; this function takes no identity argument). It decrypts nothing: the server unwraps
-- the key and decrypts, so no key ever reaches PostgreSQL.
--
-- r_outcome says what the server answers:
--   OK          the item, the version and (p_full) its content; the read is queued in the
--               owner's audit log (same transaction: durable with the answer)
--   MISSING     absent, or not visible to the caller (NOT_FOUND; the owner learns of the attempt)
--   GONE        a grantee asked for a deleted item (NOT_FOUND)
--   NO_VERSION  no such version (NOT_FOUND)
--   TOO_LARGE   a full read of a document over p_inline_max bytes (FAILED_PRECONDITION)
--   NO_CONTENT  a segment is missing (NOT_FOUND)
--   NO_KEY      the owner's data key is destroyed (FAILED_PRECONDITION)
-- Only OK writes anything.
CREATE FUNCTION cairn.read_item(
    p_item uuid, p_version bigint, p_full boolean, p_inline_max bigint,
    p_action text, p_event_time timestamptz, p_request_id text)
RETURNS TABLE (
    r_outcome text,
    r_owner_id uuid, r_kind text, r_collection_id uuid, r_display_name text, r_media_type text,
    r_labels jsonb, r_searchable boolean, r_current_version integer, r_size_bytes bigint,
    r_content_sha256 bytea, r_revision bigint, r_created_at timestamptz, r_updated_at timestamptz,
    r_deleted_at timestamptz, r_purge_after timestamptz,
    r_via_grant uuid, r_via_consent uuid,
    r_version integer, r_author_id uuid, r_version_media_type text, r_version_size_bytes bigint,
    r_version_sha256 bytea, r_blob_id uuid, r_segment_count integer, r_record_ciphertext bytea,
    r_version_created_at timestamptz,
    r_segments bytea[], r_kek_id bigint, r_wrapped_keyset bytea)
LANGUAGE plpgsql
AS $$
DECLARE
    v_me   uuid := cairn.current_user_id();
    v_row  record;
    v_ver  cairn.item_versions;
    v_n    integer;
BEGIN
    r_outcome := 'MISSING';
    IF v_me IS NULL THEN
        RETURN NEXT;
        RETURN;
    END IF;
    -- one statement judges visibility and picks the grant it came through (locked FOR SHARE
    -- until commit, as VaultAccess.item does: a revocation waits for this read)
    SELECT i.*, g.id AS via_grant, g.consent_id AS via_consent INTO v_row
      FROM cairn.items i
      LEFT JOIN LATERAL (
            SELECT gr.id, gr.consent_id FROM cairn.grants gr
             WHERE gr.grantee_id = v_me
               AND gr.owner_id = i.owner_id
               AND (gr.item_id = i.id OR gr.collection_id = i.collection_id)
               AND gr.revoked_at IS NULL
               AND gr.starts_at <= cairn.now()
               AND (gr.expires_at IS NULL OR gr.expires_at > cairn.now())
             ORDER BY CASE gr.role WHEN 'SHARE' THEN 3 WHEN 'WRITE' THEN 2 ELSE 1 END DESC,
                      gr.created_at, gr.id
             LIMIT 1
             FOR SHARE) g ON true
     WHERE i.id = p_item
       AND (i.owner_id = v_me OR cairn.grant_role_on(i.owner_id, i.id, i.collection_id) >= 1);
    IF NOT FOUND OR (v_row.owner_id <> v_me AND v_row.via_grant IS NULL) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    r_owner_id := v_row.owner_id; r_kind := v_row.kind; r_collection_id := v_row.collection_id;
    r_display_name := v_row.display_name; r_media_type := v_row.media_type; r_labels := v_row.labels;
    r_searchable := v_row.searchable; r_current_version := v_row.current_version;
    r_size_bytes := v_row.size_bytes; r_content_sha256 := v_row.content_sha256;
    r_revision := v_row.revision; r_created_at := v_row.created_at; r_updated_at := v_row.updated_at;
    r_deleted_at := v_row.deleted_at; r_purge_after := v_row.purge_after;
    IF v_row.owner_id <> v_me THEN
        r_via_grant := v_row.via_grant;
        r_via_consent := v_row.via_consent;
        IF v_row.deleted_at IS NOT NULL THEN
            r_outcome := 'GONE'; -- grants stop working when an item is deleted
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    IF p_version > v_row.current_version THEN
        r_outcome := 'NO_VERSION';
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT * INTO v_ver FROM cairn.item_versions v
     WHERE v.item_id = p_item
       AND v.version = CASE WHEN p_version = 0 THEN v_row.current_version ELSE p_version::integer END;
    IF NOT FOUND THEN
        r_outcome := 'NO_VERSION';
        RETURN NEXT;
        RETURN;
    END IF;
    r_version := v_ver.version; r_author_id := v_ver.author_id;
    r_version_media_type := v_ver.media_type; r_version_size_bytes := v_ver.size_bytes;
    r_version_sha256 := v_ver.content_sha256; r_blob_id := v_ver.blob_id;
    r_segment_count := v_ver.segment_count; r_version_created_at := v_ver.created_at;

    IF p_full THEN
        IF v_row.kind = 'DOCUMENT' THEN
            IF v_ver.size_bytes > p_inline_max THEN
                r_outcome := 'TOO_LARGE';
                RETURN NEXT;
                RETURN;
            END IF;
            SELECT array_agg(s.ciphertext ORDER BY s.seq), count(*) INTO r_segments, v_n
              FROM cairn.item_segments s
             WHERE s.blob_id = v_ver.blob_id AND s.seq < v_ver.segment_count;
            IF v_n <> v_ver.segment_count THEN
                r_outcome := 'NO_CONTENT';
                RETURN NEXT;
                RETURN;
            END IF;
        ELSE
            r_record_ciphertext := v_ver.record_ciphertext;
        END IF;
        SELECT k.kek_id, k.wrapped_keyset INTO r_kek_id, r_wrapped_keyset
          FROM cairn.data_keys k WHERE k.owner_id = v_row.owner_id;
        IF NOT FOUND THEN
            r_outcome := 'NO_KEY';
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    -- metadata is the owner's data too: every GetItem is a read in the owner's log
    INSERT INTO cairn.audit_pending (owner_id, event_time, actor, action, target, via_grant,
                                     via_consent, outcome, details, request_id)
    VALUES (v_row.owner_id, p_event_time, 'users/' || v_me, p_action, 'items/' || p_item,
            r_via_grant, r_via_consent, 'OK',
            jsonb_build_object('version', v_ver.version::text,
                               'view', CASE WHEN p_full THEN 'FULL' ELSE 'BASIC' END),
            p_request_id);
    r_outcome := 'OK';
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION cairn.read_item(uuid, bigint, boolean, bigint, text, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.read_item(uuid, bigint, boolean, bigint, text, timestamptz, text) TO ${app_role};

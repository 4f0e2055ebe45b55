-- CreateItem of a document as one statement: the idempotency check, the item row, its
-- encrypted segments, version 1 and the audit queue insert, which the server ran as six
-- statements (one round trip each). SECURITY INVOKER (the default): every statement inside runs
-- under the caller's row-level security, from the cairn.user_id that the server's own
-- set_config put in the same implicit transaction (Database.statement: one pipeline, one
-- Sync); the owner is that caller, never an argument. The deferred item-count trigger (V13)
-- still fires at the commit, so the items-per-owner limit stays exact.
--
-- PostgreSQL never sees a key: the server encrypts the segments under the owner's data key
-- and passes the key row it used (p_kek_id, p_wrapped_keyset); the function writes nothing
-- unless that is still the owner's key row, so content is never stored under a key that was
-- destroyed or replaced in between (the server then reads the key again and retries).
--
-- r_outcome says what happened:
--   CREATED    the item (returned) with its segments, version 1 and its queued audit event
--   REPLAY     p_request_id was used before: the item that create made (nothing written)
--   CONFLICT   p_request_id is taken by a create that did not finish (nothing written)
--   STALE_KEY  the key row is not the one the segments were encrypted under (nothing written)
CREATE FUNCTION cairn.create_document(
    p_id uuid, p_display_name text, p_media_type text, p_labels jsonb, p_size_bytes bigint,
    p_content_sha256 bytea, p_request_id uuid, p_now timestamptz,
    p_blob_id uuid, p_segments bytea[], p_kek_id bigint, p_wrapped_keyset bytea,
    p_audit_details jsonb, p_call_request_id text)
RETURNS TABLE (
    r_outcome text,
    r_id uuid, r_display_name text, r_media_type text, r_labels jsonb, r_searchable boolean,
    r_current_version integer, r_size_bytes bigint, r_content_sha256 bytea, r_revision bigint,
    r_created_at timestamptz, r_updated_at timestamptz, r_deleted_at timestamptz,
    r_purge_after timestamptz, r_kind text, r_collection_id uuid)
LANGUAGE plpgsql
AS $$
DECLARE
    v_me   uuid := cairn.current_user_id();
    v_item cairn.items;
BEGIN
    IF v_me IS NULL THEN
        RAISE EXCEPTION 'create_document needs a caller' USING ERRCODE = '42501';
    END IF;
    IF p_request_id IS NOT NULL THEN
        SELECT * INTO v_item FROM cairn.items i WHERE i.owner_id = v_me AND i.create_request_id = p_request_id;
        IF FOUND THEN
            r_outcome := 'REPLAY';
            RETURN QUERY SELECT r_outcome, v_item.id, v_item.display_name, v_item.media_type, v_item.labels,
                v_item.searchable, v_item.current_version, v_item.size_bytes, v_item.content_sha256,
                v_item.revision, v_item.created_at, v_item.updated_at, v_item.deleted_at,
                v_item.purge_after, v_item.kind, v_item.collection_id;
            RETURN;
        END IF;
    END IF;
    PERFORM 1 FROM cairn.data_keys k
      WHERE k.owner_id = v_me AND k.kek_id = p_kek_id AND k.wrapped_keyset = p_wrapped_keyset;
    IF NOT FOUND THEN
        r_outcome := 'STALE_KEY';
        RETURN NEXT;
        RETURN;
    END IF;

    INSERT INTO cairn.items AS i (id, owner_id, kind, collection_id, display_name, media_type, labels,
                                  searchable, current_version, size_bytes, content_sha256, revision,
                                  create_request_id, created_at, updated_at)
    VALUES (p_id, v_me, 'DOCUMENT', NULL, p_display_name, p_media_type, p_labels, false, 1,
            p_size_bytes, p_content_sha256, 1, p_request_id, p_now, p_now)
    ON CONFLICT DO NOTHING
    RETURNING * INTO v_item;
    IF NOT FOUND THEN
        -- a concurrent create with the same request_id committed first: its item is the answer
        SELECT * INTO v_item FROM cairn.items i WHERE i.owner_id = v_me AND i.create_request_id = p_request_id;
        r_outcome := CASE WHEN FOUND THEN 'REPLAY' ELSE 'CONFLICT' END;
        IF NOT FOUND THEN
            RETURN NEXT;
            RETURN;
        END IF;
        RETURN QUERY SELECT r_outcome, v_item.id, v_item.display_name, v_item.media_type, v_item.labels,
            v_item.searchable, v_item.current_version, v_item.size_bytes, v_item.content_sha256,
            v_item.revision, v_item.created_at, v_item.updated_at, v_item.deleted_at,
            v_item.purge_after, v_item.kind, v_item.collection_id;
        RETURN;
    END IF;

    INSERT INTO cairn.item_segments (blob_id, seq, owner_id, item_id, ciphertext)
    SELECT p_blob_id, (s.ord - 1)::integer, v_me, p_id, s.ciphertext
      FROM unnest(p_segments) WITH ORDINALITY AS s(ciphertext, ord);
    INSERT INTO cairn.item_versions (item_id, version, owner_id, author_id, media_type, size_bytes,
                                     content_sha256, blob_id, segment_count, created_at)
    VALUES (p_id, 1, v_me, v_me, p_media_type, p_size_bytes, p_content_sha256, p_blob_id,
            cardinality(p_segments), p_now);
    INSERT INTO cairn.audit_pending (owner_id, event_time, actor, action, target, outcome, details,
                                     request_id)
    VALUES (v_me, p_now, 'users/' || v_me, 'ITEM_CREATE', 'items/' || p_id, 'OK', p_audit_details,
            p_call_request_id);

    r_outcome := 'CREATED';
    RETURN QUERY SELECT r_outcome, v_item.id, v_item.display_name, v_item.media_type, v_item.labels,
        v_item.searchable, v_item.current_version, v_item.size_bytes, v_item.content_sha256,
        v_item.revision, v_item.created_at, v_item.updated_at, v_item.deleted_at,
        v_item.purge_after, v_item.kind, v_item.collection_id;
END
$$;
REVOKE ALL ON FUNCTION cairn.create_document(uuid, text, text, jsonb, bigint, bytea, uuid, timestamptz,
    uuid, bytea[], bigint, bytea, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.create_document(uuid, text, text, jsonb, bigint, bytea, uuid, timestamptz,
    uuid, bytea[], bigint, bytea, jsonb, text) TO ${app_role};

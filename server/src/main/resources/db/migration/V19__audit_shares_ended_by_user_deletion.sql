-- Deleting an account ends every share it took part in (V9), and now each ended share is also
-- an event in its owner's audit chain, as if revoked by hand: GRANT_REVOKE, LINK_REVOKE or
-- CONSENT_REVOKE, actor the deleting caller (the admin or the user), details cause =
-- user_deleted and the deleted user. The events are queued (V17) in the deleting transaction,
-- so they commit, or roll back, with the deletion itself; the chainer links them.
DROP FUNCTION cairn.end_sharing_of_deleted_user(uuid);

CREATE FUNCTION cairn.end_sharing_of_deleted_user(p_user uuid, p_request_id text) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ended integer := 0;
    n     integer;
    actor text;
    t     timestamptz := cairn.now();
BEGIN
    IF NOT (cairn.is_admin() OR p_user = cairn.current_user_id()) THEN
        RAISE EXCEPTION 'only the admin or the user may end a deleted user''s sharing'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cairn.users u WHERE u.id = p_user AND u.deleted_at IS NOT NULL) THEN
        RAISE EXCEPTION 'users/% is not deleted', p_user USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    actor := CASE WHEN cairn.is_admin() THEN 'admin' ELSE 'users/' || p_user END;

    WITH ended_grants AS (
        UPDATE cairn.grants SET revoked_at = t
         WHERE revoked_at IS NULL AND p_user IN (owner_id, grantor_id, grantee_id)
        RETURNING id, owner_id, grantee_id, item_id, collection_id, consent_id)
    INSERT INTO cairn.audit_pending
        (owner_id, event_time, actor, action, target, via_grant, via_consent, details, request_id)
    SELECT g.owner_id, t, actor, 'GRANT_REVOKE', 'grants/' || g.id, g.id, g.consent_id,
           jsonb_build_object(
               'cause', 'user_deleted', 'user', 'users/' || p_user,
               'grantee', 'users/' || g.grantee_id,
               'on', CASE WHEN g.item_id IS NOT NULL THEN 'items/' || g.item_id
                          ELSE 'collections/' || g.collection_id END),
           p_request_id
      FROM ended_grants g
     ORDER BY g.owner_id, g.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    ended := ended + n;

    WITH ended_links AS (
        UPDATE cairn.access_links SET revoked_at = t
         WHERE revoked_at IS NULL AND p_user IN (owner_id, creator_id)
        RETURNING id, owner_id, item_id)
    INSERT INTO cairn.audit_pending
        (owner_id, event_time, actor, action, target, via_link, details, request_id)
    SELECT l.owner_id, t, actor, 'LINK_REVOKE', 'accessLinks/' || l.id, l.id,
           jsonb_build_object('cause', 'user_deleted', 'user', 'users/' || p_user, 'item', 'items/' || l.item_id),
           p_request_id
      FROM ended_links l
     ORDER BY l.owner_id, l.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    ended := ended + n;

    WITH ended_consents AS (
        UPDATE cairn.consents SET revoked_at = t
         WHERE revoked_at IS NULL AND p_user IN (owner_id, recipient_id)
        RETURNING id, owner_id)
    INSERT INTO cairn.audit_pending
        (owner_id, event_time, actor, action, target, via_consent, details, request_id)
    SELECT c.owner_id, t, actor, 'CONSENT_REVOKE', 'consents/' || c.id, c.id,
           jsonb_build_object('cause', 'user_deleted', 'user', 'users/' || p_user),
           p_request_id
      FROM ended_consents c
     ORDER BY c.owner_id, c.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN ended + n;
END
$$;
REVOKE ALL ON FUNCTION cairn.end_sharing_of_deleted_user(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.end_sharing_of_deleted_user(uuid, text) TO ${app_role};

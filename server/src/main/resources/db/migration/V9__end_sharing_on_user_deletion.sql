-- Deleting an account ends every share it took part in, in the deletion's transaction: the
-- grants, links and consents it gave (as owner, as a SHARE holder who re-shared, as a link's
-- creator) and those others gave it. Deletion runs as the admin or as the user themselves,
-- and RLS lets neither update other owners' grants to the user, so this is the one way
-- around it. It answers for one user, only once that user is marked deleted (in this very
-- transaction or before), only for the admin or that user, and returns a count, no rows.
-- Each UPDATE is served by an index that leads with the user's column (V2).
CREATE FUNCTION cairn.end_sharing_of_deleted_user(p_user uuid) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ended integer := 0;
    n     integer;
BEGIN
    IF NOT (cairn.is_admin() OR p_user = cairn.current_user_id()) THEN
        RAISE EXCEPTION 'only the admin or the user may end a deleted user''s sharing'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cairn.users u WHERE u.id = p_user AND u.deleted_at IS NOT NULL) THEN
        RAISE EXCEPTION 'users/% is not deleted', p_user USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE cairn.grants SET revoked_at = cairn.now()
     WHERE revoked_at IS NULL AND p_user IN (owner_id, grantor_id, grantee_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    ended := ended + n;
    UPDATE cairn.access_links SET revoked_at = cairn.now()
     WHERE revoked_at IS NULL AND p_user IN (owner_id, creator_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    ended := ended + n;
    UPDATE cairn.consents SET revoked_at = cairn.now()
     WHERE revoked_at IS NULL AND p_user IN (owner_id, recipient_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN ended + n;
END
$$;
REVOKE ALL ON FUNCTION cairn.end_sharing_of_deleted_user(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.end_sharing_of_deleted_user(uuid) TO ${app_role};


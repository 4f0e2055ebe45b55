-- Sharing: what V2 lacked for grants, access links and consents.

-- An access link may pin one version of its item (AccessLink.version); NULL follows the item's
-- current version at each redemption.
ALTER TABLE cairn.access_links ADD COLUMN version integer CHECK (version > 0);
-- AccessLink.last_redeem_time, set in the redemption's transaction.
ALTER TABLE cairn.access_links ADD COLUMN last_redeemed_at timestamptz;

-- V2's single policy checked creator_id = current user on UPDATE too, so an item's owner could
-- not revoke a link a SHARE holder made on their item. Owner and creator may both see and
-- update (revoke) a link; only its creator inserts it.
DROP POLICY access_links_owner ON cairn.access_links;
CREATE POLICY access_links_read ON cairn.access_links FOR SELECT
    USING (cairn.current_user_id() IN (owner_id, creator_id));
CREATE POLICY access_links_insert ON cairn.access_links FOR INSERT
    WITH CHECK (creator_id = cairn.current_user_id());
CREATE POLICY access_links_update ON cairn.access_links FOR UPDATE
    USING (cairn.current_user_id() IN (owner_id, creator_id))
    WITH CHECK (cairn.current_user_id() IN (owner_id, creator_id));

-- Sharing names another user (grantee, consent recipient) by id or username, but RLS on
-- users shows each user only themselves. This is the one way to learn that another live user
-- exists, and it returns no more than the sharing UI needs (id, username, display name).
-- A UUID-shaped reference is read as an id; anything else as a username.
CREATE FUNCTION cairn.find_user(p_ref text)
    RETURNS TABLE (id uuid, username text, display_name text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.id, u.username, u.display_name
      FROM cairn.users u
     WHERE u.deleted_at IS NULL
       AND CASE WHEN p_ref ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                THEN u.id = p_ref::uuid
                ELSE u.username = p_ref END
$$;
REVOKE ALL ON FUNCTION cairn.find_user(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.find_user(text) TO ${app_role};

-- Failed access attempts on an owner's data append to that owner's audit chain. The caller
-- cannot see the item (RLS hides it, which is the point), so the server learns whose it is
-- through this one function, as the schema owner. It returns only the owner's id, and only
-- the server calls it, after the failing call has answered NOT_FOUND and in a separate
-- transaction, so nothing about the item reaches the caller.
CREATE FUNCTION cairn.item_owner(p_item uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.owner_id FROM cairn.items i WHERE i.id = p_item
$$;
REVOKE ALL ON FUNCTION cairn.item_owner(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.item_owner(uuid) TO ${app_role};

-- Crypto-shredding and key re-wrapping run as the admin (DeleteUser, rewrap-keys), but the
-- read policy on data_keys did not include the admin: PostgreSQL applies SELECT policies to
-- the rows a DELETE or UPDATE ... WHERE reads, so the admin's DELETE matched no row and a
-- deleted account's data key survived. The admin may now see the (KEK-wrapped) rows.
DROP POLICY data_keys_read ON cairn.data_keys;
CREATE POLICY data_keys_read ON cairn.data_keys FOR SELECT
    USING (owner_id = cairn.current_user_id() OR cairn.is_admin() OR cairn.has_live_grant_from(owner_id));

-- A grantee may lock its own grants (SELECT ... FOR SHARE), but still not change them.
--
-- Whoever acts through a grant locks it FOR SHARE for the rest of its transaction: a SHARE
-- holder re-sharing or making an access link, a grantee reading or writing an item. Every
-- revocation locks the grant FOR UPDATE first, so it waits for those transactions and then
-- sees (and cascades to) what they made, and a transaction that comes second waits for the
-- revocation and then finds the grant gone. Without this, a re-share checked against a grant
-- a moment before its revocation committed stayed active after it.
--
-- PostgreSQL checks a row lock against the UPDATE policies' USING, and grants_update lets
-- only the owner and the grantor through. This policy lets the grantee through USING, and
-- its WITH CHECK (false) adds nothing to what an UPDATE may write: permissive checks are
-- OR'ed, so an UPDATE by a mere grantee still fails (new row violates row-level security)
-- and one by the owner or grantor passes exactly as before.
CREATE POLICY grants_lock_held ON cairn.grants FOR UPDATE
    USING (grantee_id = cairn.current_user_id())
    WITH CHECK (false);

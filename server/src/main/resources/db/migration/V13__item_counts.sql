-- An exact count of each owner's items (deleted ones too, until purged), kept by triggers,
-- so the items-per-owner limit costs one row update instead of an advisory lock and a
-- count(*) that grows with the owner's items and is checked row by row under RLS.
--
-- The triggers are deferred to COMMIT: the owner's counter row is locked only while the
-- transaction commits, never across the round trips of encryption, versions and audit, and
-- concurrent commits of one owner queue on that row, so the limit is exact. The limit comes
-- from the transaction-local setting cairn.max_items_per_user (the server sets it in every
-- transaction); without it, items are counted but not limited.

CREATE TABLE cairn.item_counts (
    owner_id uuid   PRIMARY KEY REFERENCES cairn.users (id),
    items    bigint NOT NULL CHECK (items >= 0)
);

INSERT INTO cairn.item_counts (owner_id, items)
SELECT owner_id, count(*) FROM cairn.items GROUP BY owner_id;

-- SECURITY DEFINER: a grantee who adds a record to someone else's collection moves the
-- owner's counter, which the application role can only read. A trigger function cannot be
-- called directly, so this opens nothing else.
CREATE FUNCTION cairn.count_item_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
DECLARE
    held  bigint;
    limit_ bigint := nullif(current_setting('cairn.max_items_per_user', true), '')::bigint;
BEGIN
    INSERT INTO cairn.item_counts AS c (owner_id, items) VALUES (NEW.owner_id, 1)
    ON CONFLICT (owner_id) DO UPDATE SET items = c.items + 1
    RETURNING c.items INTO held;
    IF limit_ IS NOT NULL AND held > limit_ THEN
        RAISE EXCEPTION 'you already hold % items (the limit)', limit_
            USING ERRCODE = 'CA001', HINT = 'max_items_per_user';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION cairn.count_item_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    UPDATE cairn.item_counts SET items = items - 1 WHERE owner_id = OLD.owner_id;
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION cairn.count_item_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.count_item_delete() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER items_counted_insert AFTER INSERT ON cairn.items
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cairn.count_item_insert();
CREATE CONSTRAINT TRIGGER items_counted_delete AFTER DELETE ON cairn.items
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cairn.count_item_delete();

GRANT SELECT ON cairn.item_counts TO ${app_role};
ALTER TABLE cairn.item_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY item_counts_read ON cairn.item_counts FOR SELECT
    USING (owner_id = cairn.current_user_id());

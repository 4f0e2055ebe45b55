-- Search, typo part: the vocabulary the TYPO stage corrects misspelt query words against. One
-- row per item version and word: the distinct plain words (lower case, as written, not stemmed)
-- of the version's chunks that the item's text search configuration keeps (stop words, numbers,
-- ids, URLs and the like are not words here), with how often each occurs. The index job writes
-- them in the transaction that writes the chunks and deletes them wherever it deletes chunks; a
-- purge takes them with the item. A query joins them with the item under the vault's read rule,
-- so a word is seen exactly while its item is readable, live, searchable and at this version.
--
-- What is plaintext here (README, "Search"): the words themselves and their counts, like the
-- lexemes of the chunks' tsvectors in V18 (these are the unstemmed forms of the same words).

-- pg_trgm is created by V2 (record values); btree_gin by V18 (the owner-leading GIN indexes).
CREATE TABLE cairn.search_words (
    owner_id    uuid    NOT NULL REFERENCES cairn.users (id),
    item_id     uuid    NOT NULL REFERENCES cairn.items (id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version > 0),
    word        text    NOT NULL CHECK (length(word) BETWEEN 1 AND 64),
    occurrences integer NOT NULL CHECK (occurrences > 0),
    PRIMARY KEY (owner_id, item_id, version, word)
);
-- candidates for a misspelt word: the readable owners' words sharing its trigrams, one index scan
CREATE INDEX search_words_owner_trgm_idx ON cairn.search_words USING gin (owner_id, word public.gin_trgm_ops);
-- the same under row-level security: pg_trgm's % is not leakproof, so RLS keeps it out of index
-- conditions; the lookup narrows by owner and first letter (a leakproof range in C order) here
CREATE INDEX search_words_owner_initial_idx ON cairn.search_words (owner_id, word COLLATE "C");
-- the cascade from items and the per-item replace
CREATE INDEX search_words_item_idx ON cairn.search_words (item_id, version);

GRANT SELECT, INSERT, DELETE ON cairn.search_words TO ${app_role};

-- Words are visible exactly when their item is (owner, or a live grant: the items policy), and
-- written only as the owner (the index job acts as the owner), as search_chunks.
ALTER TABLE cairn.search_words ENABLE ROW LEVEL SECURITY;
CREATE POLICY search_words_read ON cairn.search_words FOR SELECT
    USING (owner_id = cairn.current_user_id() OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));
CREATE POLICY search_words_insert ON cairn.search_words FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id());
CREATE POLICY search_words_delete ON cairn.search_words FOR DELETE
    USING (owner_id = cairn.current_user_id());

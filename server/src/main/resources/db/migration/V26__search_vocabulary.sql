-- Search, typo part: each owner's vocabulary, so that the TYPO stage finds candidates for a
-- misspelt word among the owner's distinct words (one trigram index scan) instead of grouping
-- the per-item rows of V21 (one row per item version and word) under the read rule per query.
-- One row per owner and word: in how many item versions of cairn.search_words it is, and its
-- occurrences summed over them. Kept by statement triggers on search_words in the transaction
-- that writes or deletes those rows (the index job, the owner's delete, a purge's cascade), as
-- V18 keeps search_terms; a word leaves when its last item version does.
--
-- The candidates it yields are only ever the owner's own words, and SearchRepository still
-- checks each against the per-item rows under the read rule (readable, live, searchable, current
-- version, the query's filters) before it may become a correction. Words from items shared with
-- the caller come from the per-item rows as before; nothing of another owner is read here.
--
-- What is plaintext here (README, "Search"): the same words and counts as in V21.
CREATE TABLE cairn.search_vocabulary (
    owner_id    uuid   NOT NULL REFERENCES cairn.users (id) ON DELETE CASCADE,
    word        text   NOT NULL,
    items       bigint NOT NULL CHECK (items >= 0),
    occurrences bigint NOT NULL CHECK (occurrences >= 0),
    PRIMARY KEY (owner_id, word)
);
-- candidates for a misspelt word: the owner's words sharing its trigrams (btree_gin from V18)
CREATE INDEX search_vocabulary_owner_trgm_idx ON cairn.search_vocabulary USING gin (owner_id, word public.gin_trgm_ops);

-- The owner's stats row is locked first (V18's order, as V22 does), so two transactions
-- changing one owner's vocabulary queue there instead of deadlocking over word rows; the
-- index job deletes an item's words before its chunks, so this can come before V18's triggers.
CREATE FUNCTION cairn.search_words_counted_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    PERFORM 1 FROM cairn.search_stats s
      WHERE s.owner_id IN (SELECT DISTINCT n.owner_id FROM new_words n) ORDER BY s.owner_id FOR UPDATE;
    INSERT INTO cairn.search_vocabulary AS v (owner_id, word, items, occurrences)
    SELECT n.owner_id, n.word, count(*), sum(n.occurrences)
      FROM new_words n GROUP BY n.owner_id, n.word ORDER BY n.owner_id, n.word
    ON CONFLICT (owner_id, word) DO UPDATE
       SET items = v.items + excluded.items, occurrences = v.occurrences + excluded.occurrences;
    RETURN NULL;
END $$;

CREATE FUNCTION cairn.search_words_counted_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    PERFORM 1 FROM cairn.search_stats s
      WHERE s.owner_id IN (SELECT DISTINCT o.owner_id FROM old_words o) ORDER BY s.owner_id FOR UPDATE;
    WITH gone AS (
        SELECT o.owner_id, o.word, count(*) n, sum(o.occurrences) k
          FROM old_words o GROUP BY o.owner_id, o.word)
    UPDATE cairn.search_vocabulary v SET items = v.items - gone.n, occurrences = v.occurrences - gone.k
      FROM gone WHERE v.owner_id = gone.owner_id AND v.word = gone.word;
    DELETE FROM cairn.search_vocabulary v
     WHERE v.items = 0 AND (v.owner_id, v.word) IN (SELECT o.owner_id, o.word FROM old_words o);
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION cairn.search_words_counted_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.search_words_counted_delete() FROM PUBLIC;

CREATE TRIGGER search_words_counted_insert AFTER INSERT ON cairn.search_words
    REFERENCING NEW TABLE AS new_words FOR EACH STATEMENT
    EXECUTE FUNCTION cairn.search_words_counted_insert();
CREATE TRIGGER search_words_counted_delete AFTER DELETE ON cairn.search_words
    REFERENCING OLD TABLE AS old_words FOR EACH STATEMENT
    EXECUTE FUNCTION cairn.search_words_counted_delete();

-- what is indexed already
INSERT INTO cairn.search_vocabulary (owner_id, word, items, occurrences)
SELECT w.owner_id, w.word, count(*), sum(w.occurrences) FROM cairn.search_words w GROUP BY w.owner_id, w.word;

-- Only the owner reads its vocabulary (it covers all of the owner's indexed items, shared or not).
GRANT SELECT ON cairn.search_vocabulary TO ${app_role};
ALTER TABLE cairn.search_vocabulary ENABLE ROW LEVEL SECURITY;
CREATE POLICY search_vocabulary_read ON cairn.search_vocabulary FOR SELECT
    USING (owner_id = cairn.current_user_id());

-- The caller's own words that may be p_word misspelt: sharing its trigrams (pg_trgm's %, at the
-- transaction's pg_trgm.similarity_threshold), p_min..p_max letters long, most similar first.
-- SECURITY DEFINER only so that % may be an index condition (row-level security keeps a
-- non-leakproof operator out of index conditions); it answers for cairn.current_user_id() alone
-- (no row without a user), exactly the rows the policy above lets the caller read.
CREATE FUNCTION cairn.own_vocabulary_candidates(p_word text, p_min integer, p_max integer, p_limit integer)
    RETURNS TABLE (word text, occurrences bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT v.word, v.occurrences
      FROM cairn.search_vocabulary v
     WHERE v.owner_id = cairn.current_user_id()
       AND v.word OPERATOR(public.%) p_word
       AND char_length(v.word) BETWEEN p_min AND p_max
     ORDER BY public.similarity(v.word, p_word) DESC, v.word
     LIMIT least(greatest(p_limit, 0), 1000)
$$;
REVOKE ALL ON FUNCTION cairn.own_vocabulary_candidates(text, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.own_vocabulary_candidates(text, integer, integer, integer) TO ${app_role};

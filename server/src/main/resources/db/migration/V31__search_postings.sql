-- Search, BM25's postings: one row per chunk and lexeme, with the lexeme's occurrences in the
-- chunk and the chunk's length, so that a query of plain words is ranked from the rows of its
-- terms alone (an index-only scan of (owner, lexeme)) instead of unnesting the tsvector of every
-- candidate chunk. On 1,000 SciFact documents (1,961 chunks) the ranking statement of a claim
-- with nine words and 1,237 matching chunks took 20-27 ms over the vectors and 10-11 ms over
-- its 1,886 postings (EXPLAIN ANALYZE as the application role); the GIN index on the vectors
-- stays for phrase, exclusion and prefix queries, which postings cannot answer.
--
-- Kept by statement triggers on cairn.search_chunks in the transaction that writes or deletes the
-- chunks (the index job, the owner's delete, a purge's cascade), after V18's statistics triggers
-- (trigger names sort "counted" before "postings"), so the owner's stats row is locked first and
-- concurrent writers of one owner queue there, as V18 and V26 do.
--
-- What is plaintext here (README, "Search"): nothing new. Each row repeats a lexeme and its
-- occurrence count from the chunk's tsvector and the chunk's length in lexemes, all of which
-- search_chunks already stores in plaintext.
CREATE TABLE cairn.search_postings (
    owner_id     uuid      NOT NULL,
    lexeme       text      NOT NULL,
    item_id      uuid      NOT NULL,
    version      integer   NOT NULL,
    ordinal      integer   NOT NULL,
    -- the chunk's text search configuration: a query's lexemes are those of one configuration
    language     regconfig NOT NULL,
    -- cardinality of the lexeme's positions in the chunk's tsvector (BM25's term frequency)
    occurrences  integer   NOT NULL CHECK (occurrences >= 0),
    -- the chunk's lexeme_count (BM25's document length)
    chunk_length integer   NOT NULL CHECK (chunk_length >= 0),
    -- a query's terms are looked up by owner and lexeme; the rest rides in the index
    PRIMARY KEY (owner_id, lexeme, item_id, version, ordinal) INCLUDE (language, occurrences, chunk_length)
);

CREATE FUNCTION cairn.search_chunks_postings_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    INSERT INTO cairn.search_postings (owner_id, lexeme, item_id, version, ordinal, language, occurrences, chunk_length)
    SELECT n.owner_id, u.lexeme, n.item_id, n.version, n.ordinal, n.language, cardinality(u.positions), n.lexeme_count
      FROM new_chunks n CROSS JOIN LATERAL unnest(n.tsv) u;
    RETURN NULL;
END $$;

CREATE FUNCTION cairn.search_chunks_postings_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    DELETE FROM cairn.search_postings p
     USING old_chunks o CROSS JOIN LATERAL unnest(o.tsv) u
     WHERE p.owner_id = o.owner_id AND p.lexeme = u.lexeme
       AND p.item_id = o.item_id AND p.version = o.version AND p.ordinal = o.ordinal;
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION cairn.search_chunks_postings_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.search_chunks_postings_delete() FROM PUBLIC;

CREATE TRIGGER search_chunks_postings_insert AFTER INSERT ON cairn.search_chunks
    REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT
    EXECUTE FUNCTION cairn.search_chunks_postings_insert();
CREATE TRIGGER search_chunks_postings_delete AFTER DELETE ON cairn.search_chunks
    REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT
    EXECUTE FUNCTION cairn.search_chunks_postings_delete();

-- what is indexed already
INSERT INTO cairn.search_postings (owner_id, lexeme, item_id, version, ordinal, language, occurrences, chunk_length)
SELECT c.owner_id, u.lexeme, c.item_id, c.version, c.ordinal, c.language, cardinality(u.positions), c.lexeme_count
  FROM cairn.search_chunks c CROSS JOIN LATERAL unnest(c.tsv) u;

-- Read as the chunks are (V18's search_chunks_read: the owner, or whoever may read the item);
-- written only by the triggers above.
GRANT SELECT ON cairn.search_postings TO ${app_role};
ALTER TABLE cairn.search_postings ENABLE ROW LEVEL SECURITY;
CREATE POLICY search_postings_read ON cairn.search_postings FOR SELECT
    USING (owner_id = cairn.current_user_id() OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));

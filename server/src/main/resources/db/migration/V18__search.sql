-- Search, lexical part: the passages (chunks) of searchable items with their full-text vectors,
-- per-owner BM25 statistics kept by triggers, and each item's indexing status.
--
-- What is plaintext here (README, "Search"): a chunk's text is encrypted with the owner's data
-- key like item content; its tsvector (the stemmed lexemes with their positions), its length in
-- lexemes, page number and code point offsets are not, and neither are the per-owner statistics
-- (chunk count, total length, and how many chunks hold each lexeme). The heading path is
-- encrypted with the text.

-- btree_gin lets one GIN index lead with owner_id (an equality on uuid) before the tsvector.
-- Trusted extension: the schema owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public;

-- ---------------------------------------------------------------- chunks
-- Lexeme occurrences of a vector (BM25's document length): positions summed over its lexemes.
CREATE FUNCTION cairn.lexeme_occurrences(v tsvector) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT coalesce(sum(greatest(cardinality(u.positions), 1)), 0)::integer FROM unnest(v) u $$;

CREATE TABLE cairn.search_chunks (
    owner_id     uuid        NOT NULL REFERENCES cairn.users (id),
    -- purge deletes the item row; its chunks go with it (the triggers below keep the statistics)
    item_id      uuid        NOT NULL REFERENCES cairn.items (id) ON DELETE CASCADE,
    version      integer     NOT NULL CHECK (version > 0),
    ordinal      integer     NOT NULL CHECK (ordinal >= 0),
    -- 0 when the format has no pages
    page         integer     NOT NULL DEFAULT 0 CHECK (page >= 0),
    -- code points [start_cp, end_cp) of the version's canonical text
    start_cp     integer     NOT NULL CHECK (start_cp >= 0),
    end_cp       integer     NOT NULL CHECK (end_cp >= start_cp),
    -- the text search configuration the vector was built with (the item's language)
    language     regconfig   NOT NULL,
    -- AEAD(text, heading path) under the owner's data key; associated data names owner, item,
    -- version and ordinal (ContentCipher)
    ciphertext   bytea       NOT NULL,
    -- to_tsvector(language, text), built from the plaintext when the chunk is written
    tsv          tsvector    NOT NULL,
    -- lexeme occurrences in tsv: the document length of BM25
    lexeme_count integer     NOT NULL GENERATED ALWAYS AS (cairn.lexeme_occurrences(tsv)) STORED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, item_id, version, ordinal)
);
-- candidate generation: the readable owners' chunks matching a tsquery, in one index scan
CREATE INDEX search_chunks_owner_tsv_idx ON cairn.search_chunks USING gin (owner_id, tsv);
-- the cascade from items and the per-item replace
CREATE INDEX search_chunks_item_idx ON cairn.search_chunks (item_id, version);

-- ---------------------------------------------------------------- statistics (BM25)
-- Per owner: how many chunks and lexeme occurrences, and the configurations in use (a query
-- without a language runs once per configuration; one no longer in use costs a branch that
-- finds nothing, so it is never removed).
CREATE TABLE cairn.search_stats (
    owner_id  uuid        PRIMARY KEY REFERENCES cairn.users (id) ON DELETE CASCADE,
    chunks    bigint      NOT NULL DEFAULT 0 CHECK (chunks >= 0),
    lexemes   bigint      NOT NULL DEFAULT 0 CHECK (lexemes >= 0),
    languages regconfig[] NOT NULL DEFAULT '{}'
);

-- Per owner and lexeme: how many of the owner's chunks contain it (BM25's document frequency).
CREATE TABLE cairn.search_terms (
    owner_id uuid   NOT NULL REFERENCES cairn.users (id) ON DELETE CASCADE,
    lexeme   text   NOT NULL,
    chunks   bigint NOT NULL CHECK (chunks >= 0),
    PRIMARY KEY (owner_id, lexeme)
);

-- The statistics follow the chunks in the same statement's transaction, whoever deletes them
-- (the index job, the owner's delete, a purge's cascade). Statement-level with transition
-- tables: one aggregated upsert per statement, not one per chunk. The owner's stats row is
-- locked first, so two transactions changing one owner's terms queue there instead of
-- deadlocking over term rows taken in different orders. SECURITY DEFINER: the application
-- role reads its own statistics but never writes them directly.
CREATE FUNCTION cairn.search_chunks_counted_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    INSERT INTO cairn.search_stats AS s (owner_id, chunks, lexemes, languages)
    SELECT n.owner_id, count(*), sum(n.lexeme_count), array_agg(DISTINCT n.language)
      FROM new_chunks n GROUP BY n.owner_id ORDER BY n.owner_id
    ON CONFLICT (owner_id) DO UPDATE
       SET chunks = s.chunks + excluded.chunks,
           lexemes = s.lexemes + excluded.lexemes,
           languages = ARRAY(SELECT DISTINCT l FROM unnest(s.languages || excluded.languages) l ORDER BY l);
    INSERT INTO cairn.search_terms AS t (owner_id, lexeme, chunks)
    SELECT n.owner_id, u.lexeme, count(*)
      FROM new_chunks n CROSS JOIN LATERAL unnest(n.tsv) u
     GROUP BY n.owner_id, u.lexeme ORDER BY n.owner_id, u.lexeme
    ON CONFLICT (owner_id, lexeme) DO UPDATE SET chunks = t.chunks + excluded.chunks;
    RETURN NULL;
END $$;

CREATE FUNCTION cairn.search_chunks_counted_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    UPDATE cairn.search_stats s
       SET chunks = s.chunks - o.n, lexemes = s.lexemes - o.l
      FROM (SELECT owner_id, count(*) n, sum(lexeme_count) l FROM old_chunks GROUP BY owner_id) o
     WHERE s.owner_id = o.owner_id;
    WITH gone AS (
        SELECT o.owner_id, u.lexeme, count(*) n
          FROM old_chunks o CROSS JOIN LATERAL unnest(o.tsv) u
         GROUP BY o.owner_id, u.lexeme)
    UPDATE cairn.search_terms t SET chunks = t.chunks - gone.n
      FROM gone WHERE t.owner_id = gone.owner_id AND t.lexeme = gone.lexeme;
    DELETE FROM cairn.search_terms t
     WHERE t.chunks = 0 AND (t.owner_id, t.lexeme) IN (
           SELECT o.owner_id, u.lexeme FROM old_chunks o CROSS JOIN LATERAL unnest(o.tsv) u);
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION cairn.search_chunks_counted_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.search_chunks_counted_delete() FROM PUBLIC;

CREATE TRIGGER search_chunks_counted_insert AFTER INSERT ON cairn.search_chunks
    REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT
    EXECUTE FUNCTION cairn.search_chunks_counted_insert();
CREATE TRIGGER search_chunks_counted_delete AFTER DELETE ON cairn.search_chunks
    REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT
    EXECUTE FUNCTION cairn.search_chunks_counted_delete();

-- ---------------------------------------------------------------- index status
-- What the index job last did for an item. PENDING is derived (the item's current version is
-- neither indexed nor failed, or a reindex was requested), so an item write never has to touch
-- this row: only the job and ReindexItem do.
CREATE TABLE cairn.search_index_status (
    owner_id        uuid        NOT NULL REFERENCES cairn.users (id),
    item_id         uuid        PRIMARY KEY REFERENCES cairn.items (id) ON DELETE CASCADE,
    -- the version whose chunks are stored; 0 for none
    indexed_version integer     NOT NULL DEFAULT 0 CHECK (indexed_version >= 0),
    chunk_count     integer     NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    -- the version whose extraction failed for good, and why (the extractor's message: no content)
    failed_version  integer,
    error           text        NOT NULL DEFAULT '' CHECK (length(error) <= 500),
    -- set by ReindexItem, cleared by the job that follows it
    requested_at    timestamptz,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX search_index_status_owner_idx ON cairn.search_index_status (owner_id);

-- ---------------------------------------------------------------- privileges
GRANT SELECT, INSERT, DELETE ON cairn.search_chunks TO ${app_role};
GRANT SELECT ON cairn.search_stats TO ${app_role};
GRANT SELECT ON cairn.search_terms TO ${app_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON cairn.search_index_status TO ${app_role};

-- ---------------------------------------------------------------- row-level security
-- Chunks are visible exactly when their item is (owner, or a live grant: the items policy),
-- and written only as the owner (the index job acts as the owner; so does the owner's delete).
ALTER TABLE cairn.search_chunks ENABLE ROW LEVEL SECURITY;
CREATE POLICY search_chunks_read ON cairn.search_chunks FOR SELECT
    USING (owner_id = cairn.current_user_id() OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));
CREATE POLICY search_chunks_insert ON cairn.search_chunks FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id());
CREATE POLICY search_chunks_delete ON cairn.search_chunks FOR DELETE
    USING (owner_id = cairn.current_user_id());

-- Statistics cover all of an owner's chunks, shared or not: only the owner reads them. A
-- grantee's ranking uses statistics computed over what it can read (SearchRepository).
ALTER TABLE cairn.search_stats ENABLE ROW LEVEL SECURITY;
CREATE POLICY search_stats_read ON cairn.search_stats FOR SELECT
    USING (owner_id = cairn.current_user_id());
ALTER TABLE cairn.search_terms ENABLE ROW LEVEL SECURITY;
CREATE POLICY search_terms_read ON cairn.search_terms FOR SELECT
    USING (owner_id = cairn.current_user_id());

-- Status: read with the item; written by the owner (the job) or a WRITE grantee (ReindexItem).
ALTER TABLE cairn.search_index_status ENABLE ROW LEVEL SECURITY;
CREATE POLICY search_index_status_read ON cairn.search_index_status FOR SELECT
    USING (owner_id = cairn.current_user_id() OR EXISTS (SELECT 1 FROM cairn.items i WHERE i.id = item_id));
CREATE POLICY search_index_status_insert ON cairn.search_index_status FOR INSERT
    WITH CHECK (owner_id = cairn.current_user_id()
                OR EXISTS (SELECT 1 FROM cairn.items i
                            WHERE i.id = search_index_status.item_id AND i.owner_id = search_index_status.owner_id
                              AND cairn.grant_role_on(i.owner_id, i.id, i.collection_id) >= 2));
CREATE POLICY search_index_status_update ON cairn.search_index_status FOR UPDATE
    USING (owner_id = cairn.current_user_id()
           OR EXISTS (SELECT 1 FROM cairn.items i
                       WHERE i.id = search_index_status.item_id AND cairn.grant_role_on(i.owner_id, i.id, i.collection_id) >= 2));
CREATE POLICY search_index_status_delete ON cairn.search_index_status FOR DELETE
    USING (owner_id = cairn.current_user_id());

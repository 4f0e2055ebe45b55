-- Search, semantic part: each chunk's embedding, stored with the chunk (PostgreSQL is the source
-- of truth; each replica's Lucene HNSW index is a derived copy), and a change log the replicas
-- follow to keep their copy in step.
--
-- What is plaintext here (README, "Search"): the vectors. They are derived from the chunk text
-- (a model can partly invert them), like the tsvector in V18, and are not encrypted.

-- The chunk's stable id in the vector index (the primary key has four columns; the index keys one).
ALTER TABLE cairn.search_chunks ADD COLUMN chunk_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE cairn.search_chunks ADD CONSTRAINT search_chunks_chunk_id_key UNIQUE (chunk_id);
-- The embedding of the chunk's embedding text (headings, then text), L2-normalised, by the model
-- named; null only for chunks written before this migration (a reindex fills them in).
ALTER TABLE cairn.search_chunks ADD COLUMN embedding float4[];
ALTER TABLE cairn.search_chunks ADD COLUMN embedding_model text;
ALTER TABLE cairn.search_chunks ADD CONSTRAINT search_chunks_embedding_check
    CHECK ((embedding IS NULL) = (embedding_model IS NULL)
           AND (embedding IS NULL OR (cardinality(embedding) BETWEEN 1 AND 4096 AND length(embedding_model) <= 200)));

-- ---------------------------------------------------------------- change log
-- One row per chunk written ('U', upsert) and per item whose chunks were deleted ('I'); the
-- vector itself is read from the chunk when a replica fetches the change (a chunk deleted since
-- has a later 'I' row). Writers take one transaction-level advisory lock before they take a
-- sequence number, so sequence numbers become visible in commit order: a replica that has
-- applied through N never later finds a committed change below N.
CREATE TABLE cairn.search_vector_changes (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    op       "char" NOT NULL CHECK (op IN ('U', 'I')),
    owner_id uuid   NOT NULL,
    item_id  uuid   NOT NULL,
    -- the chunk for 'U'; null for 'I'
    chunk_id uuid,
    CHECK ((op = 'U') = (chunk_id IS NOT NULL))
);

-- Named after the statistics triggers (which lock the owner's stats row first), so that every
-- writer takes its locks in one order: owner's statistics, then this lock.
CREATE FUNCTION cairn.search_vector_log_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('cairn.search_vector_changes'));
    INSERT INTO cairn.search_vector_changes (op, owner_id, item_id, chunk_id)
    SELECT 'U', n.owner_id, n.item_id, n.chunk_id FROM new_chunks n
     WHERE n.embedding IS NOT NULL ORDER BY n.item_id, n.ordinal;
    PERFORM pg_notify('cairn_search_vectors', '');
    RETURN NULL;
END $$;

CREATE FUNCTION cairn.search_vector_log_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('cairn.search_vector_changes'));
    INSERT INTO cairn.search_vector_changes (op, owner_id, item_id)
    SELECT DISTINCT 'I'::"char", o.owner_id, o.item_id FROM old_chunks o;
    PERFORM pg_notify('cairn_search_vectors', '');
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION cairn.search_vector_log_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.search_vector_log_delete() FROM PUBLIC;

CREATE TRIGGER search_chunks_vector_log_insert AFTER INSERT ON cairn.search_chunks
    REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT
    EXECUTE FUNCTION cairn.search_vector_log_insert();
CREATE TRIGGER search_chunks_vector_log_delete AFTER DELETE ON cairn.search_chunks
    REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT
    EXECUTE FUNCTION cairn.search_vector_log_delete();

-- ---------------------------------------------------------------- replica reads (system path)
-- A replica's index serves every user, so it reads every owner's vectors: ids and vectors only,
-- never text. The application role cannot read the log or other owners' chunks directly.

-- The last change so far (0 when none).
CREATE FUNCTION cairn.search_vector_head() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$ SELECT coalesce(max(seq), 0) FROM cairn.search_vector_changes $$;

-- Changes after p_after, oldest first; an upsert whose chunk is gone (a later 'I' follows) or
-- whose vector is of another model comes without a vector.
CREATE FUNCTION cairn.search_vector_changes_after(p_after bigint, p_limit integer)
    RETURNS TABLE (seq bigint, op "char", owner_id uuid, item_id uuid, chunk_id uuid, embedding float4[], embedding_model text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
    SELECT l.seq, l.op, l.owner_id, l.item_id, l.chunk_id, c.embedding, c.embedding_model
      FROM cairn.search_vector_changes l
      LEFT JOIN cairn.search_chunks c ON l.op = 'U' AND c.chunk_id = l.chunk_id
     WHERE l.seq > p_after
     ORDER BY l.seq
     LIMIT least(greatest(p_limit, 1), 10000)
$$;

-- Every chunk vector of a model, by chunk id after p_after_chunk (keyset pages for a rebuild).
CREATE FUNCTION cairn.search_vectors_of(p_model text, p_after_chunk uuid, p_limit integer)
    RETURNS TABLE (chunk_id uuid, owner_id uuid, item_id uuid, embedding float4[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
    SELECT c.chunk_id, c.owner_id, c.item_id, c.embedding
      FROM cairn.search_chunks c
     WHERE c.embedding_model = p_model AND c.chunk_id > p_after_chunk
     ORDER BY c.chunk_id
     LIMIT least(greatest(p_limit, 1), 10000)
$$;

REVOKE ALL ON FUNCTION cairn.search_vector_head() FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.search_vector_changes_after(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.search_vectors_of(text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.search_vector_head() TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.search_vector_changes_after(bigint, integer) TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.search_vectors_of(text, uuid, integer) TO ${app_role};

-- Search, operations: the vector change log without a global lock, and the backfill of chunks
-- indexed before V20 (they have no vector).
--
-- Why the lock goes. V20 took one transaction-level advisory lock in every statement that writes
-- or deletes chunks, so that sequence numbers became visible in commit order. It is held from
-- that statement to the end of the transaction (the rest of the index job's transaction and its
-- commit, WAL flush included), so every index job, delete and purge of every owner on every
-- replica queued behind one lock: commits could not share a WAL flush, and indexing throughput
-- across owners was capped at one such tail at a time.
--
-- What keeps the log usable without it.
-- * One owner's changes are still serialised, and in sequence order: the statistics triggers
--   (V18, named so they fire first) lock the owner's search_stats row before this trigger takes
--   its sequence numbers, and keep it to commit; search_vector_lock_owners() below takes those
--   same row locks again, so the order does not rest on trigger names. Changes of different
--   owners touch different items, so applying them in any order gives the same index.
-- * Across owners a lower number may now commit after a higher one. A replica therefore keeps a
--   durable high-water mark W (everything at or below it applied or never to come) and, in
--   memory, the numbers above W it has applied. It reads every change above W and advances W
--   over a missing number only once that number can no longer appear: a missing number g below
--   a number seen in a snapshot S belongs to a transaction that had its xid before S was taken
--   (xid < xmax(S)); once the oldest running xid (xmin of a later snapshot) reaches xmax(S), that
--   transaction has ended, and its rows, if it committed, are in that later snapshot. So the
--   lag window is exact, not a guess of time (VectorSync, "Gaps").
-- * A rebuild waits, before it reads the vectors, until every transaction running at the moment
--   it read the head has ended, so nothing at or below the head it records can commit later.

CREATE FUNCTION cairn.search_vector_lock_owners(p_owners uuid[]) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
    SELECT 1 FROM cairn.search_stats s WHERE s.owner_id = ANY (p_owners) ORDER BY s.owner_id FOR UPDATE
$$;
REVOKE ALL ON FUNCTION cairn.search_vector_lock_owners(uuid[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION cairn.search_vector_log_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    PERFORM cairn.search_vector_lock_owners(ARRAY(SELECT DISTINCT n.owner_id FROM new_chunks n));
    INSERT INTO cairn.search_vector_changes (op, owner_id, item_id, chunk_id)
    SELECT 'U', n.owner_id, n.item_id, n.chunk_id FROM new_chunks n
     WHERE n.embedding IS NOT NULL ORDER BY n.item_id, n.ordinal;
    PERFORM pg_notify('cairn_search_vectors', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION cairn.search_vector_log_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
BEGIN
    PERFORM cairn.search_vector_lock_owners(ARRAY(SELECT DISTINCT o.owner_id FROM old_chunks o));
    INSERT INTO cairn.search_vector_changes (op, owner_id, item_id)
    SELECT DISTINCT 'I'::"char", o.owner_id, o.item_id FROM old_chunks o;
    PERFORM pg_notify('cairn_search_vectors', '');
    RETURN NULL;
END $$;

-- Changes after p_after (oldest first) with the snapshot they were read in: its xmin (the oldest
-- transaction still running) and xmax (the first xid not yet assigned), which tell the reader
-- when a missing number can no longer appear. Same rows as V20's search_vector_changes_after.
CREATE FUNCTION cairn.search_vector_changes_since(p_after bigint, p_limit integer)
    RETURNS TABLE (seq bigint, op "char", owner_id uuid, item_id uuid, chunk_id uuid, embedding float4[],
                   embedding_model text, snapshot_xmin bigint, snapshot_xmax bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
    WITH snap AS (SELECT pg_current_snapshot() s)
    SELECT c.seq, c.op, c.owner_id, c.item_id, c.chunk_id, c.embedding, c.embedding_model,
           pg_snapshot_xmin(snap.s)::text::bigint, pg_snapshot_xmax(snap.s)::text::bigint
      FROM snap LEFT JOIN cairn.search_vector_changes_after(p_after, p_limit) c ON true
$$;

-- The head and the snapshot it was read in (a rebuild waits for xmin to pass this xmax).
CREATE FUNCTION cairn.search_vector_horizon()
    RETURNS TABLE (head bigint, snapshot_xmin bigint, snapshot_xmax bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
    SELECT (SELECT coalesce(max(seq), 0) FROM cairn.search_vector_changes),
           pg_snapshot_xmin(pg_current_snapshot())::text::bigint, pg_snapshot_xmax(pg_current_snapshot())::text::bigint
$$;

REVOKE ALL ON FUNCTION cairn.search_vector_changes_since(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION cairn.search_vector_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.search_vector_changes_since(bigint, integer) TO ${app_role};
GRANT EXECUTE ON FUNCTION cairn.search_vector_horizon() TO ${app_role};

-- ---------------------------------------------------------------- backfill
-- Chunks written before V20 have no vector. The index job re-embeds an item whose chunks carry
-- another model than the server's (none counts as another), outside any transaction; this only
-- enqueues those jobs. Each start calls it (a partial index makes it free once all are done), so
-- it also picks up what an interrupted backfill left. SECURITY DEFINER: it enqueues for every
-- owner, which the application role's row-level security does not allow.
CREATE INDEX search_chunks_without_vector_idx ON cairn.search_chunks (owner_id, item_id) WHERE embedding IS NULL;

CREATE FUNCTION cairn.enqueue_vector_backfill(p_max_attempts integer) RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, cairn
AS $$
    WITH items AS (
        SELECT DISTINCT c.owner_id, c.item_id FROM cairn.search_chunks c WHERE c.embedding IS NULL),
    queued AS (
        INSERT INTO cairn.jobs (id, kind, owner_id, payload, dedupe_key, max_attempts, run_at, created_at, updated_at)
        SELECT gen_random_uuid(), 'search-index', i.owner_id, jsonb_build_object('item', i.item_id::text),
               i.item_id::text, least(greatest(p_max_attempts, 1), 100), cairn.now(), cairn.now(), cairn.now()
          FROM items i
        ON CONFLICT DO NOTHING
        RETURNING 1)
    SELECT count(*)::integer FROM queued
$$;
REVOKE ALL ON FUNCTION cairn.enqueue_vector_backfill(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cairn.enqueue_vector_backfill(integer) TO ${app_role};

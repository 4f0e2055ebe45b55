-- Storage naming: the 1 MiB encrypted pieces of a document's content are "segments" from
-- now on, so that "chunk" means only a search passage (search_chunks, chunk_id in hits and
-- citations). A rename, not a copy: rows, grants, RLS and the ciphertexts stay as they are
-- (their associated data still begins "chunk:", see ContentCipher, so they keep decrypting).

ALTER TABLE cairn.item_chunks RENAME TO item_segments;
ALTER TABLE cairn.item_segments RENAME CONSTRAINT item_chunks_pkey TO item_segments_pkey;
ALTER TABLE cairn.item_segments RENAME CONSTRAINT item_chunks_owner_id_fkey TO item_segments_owner_id_fkey;
ALTER TABLE cairn.item_segments RENAME CONSTRAINT item_chunks_seq_check TO item_segments_seq_check;
ALTER INDEX cairn.item_chunks_item_idx RENAME TO item_segments_item_idx;
ALTER POLICY item_chunks_read ON cairn.item_segments RENAME TO item_segments_read;
ALTER POLICY item_chunks_insert ON cairn.item_segments RENAME TO item_segments_insert;
ALTER POLICY item_chunks_delete ON cairn.item_segments RENAME TO item_segments_delete;

ALTER TABLE cairn.item_versions RENAME COLUMN chunk_count TO segment_count;

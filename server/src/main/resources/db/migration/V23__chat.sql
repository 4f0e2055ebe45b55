-- Chat: conversations and their messages, owned by one user and visible to nobody else.
--
-- What is plaintext here (README, "Chat"): ids, sequence numbers, roles, states, branch links,
-- finish reasons, token counts, timings, lengths and the conversation's title and retrieval
-- filter (like an item's display name and labels). A message's text and its citations (which
-- quote the cited passages) are encrypted with the owner's data key, bound to owner,
-- conversation and message (ContentCipher), so crypto-shredding reaches them.

CREATE TABLE cairn.conversations (
    owner_id          uuid        NOT NULL REFERENCES cairn.users (id),
    id                uuid        PRIMARY KEY,
    -- CreateConversation's idempotency key
    request_id        uuid,
    display_name      text        NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
    -- the search filter every answer's retrieval applies (db.Jsonb of ChatFilters)
    retrieval_filter  jsonb       NOT NULL DEFAULT '{}',
    -- the next message's seq: allocated only under this row's lock, so seqs are gap-free
    next_seq          bigint      NOT NULL DEFAULT 1 CHECK (next_seq >= 1),
    message_count     bigint      NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    -- the answer being generated, if any: one at a time per conversation
    streaming_message uuid,
    -- bumped on every change (the etag)
    revision          bigint      NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    UNIQUE (owner_id, request_id)
);
-- ListConversations: most recently active first, keyset on (updated_at, id)
CREATE INDEX conversations_owner_updated_idx ON cairn.conversations (owner_id, updated_at DESC, id DESC);

CREATE TABLE cairn.chat_messages (
    owner_id          uuid        NOT NULL REFERENCES cairn.users (id),
    conversation_id   uuid        NOT NULL REFERENCES cairn.conversations (id) ON DELETE CASCADE,
    id                uuid        PRIMARY KEY,
    seq               bigint      NOT NULL CHECK (seq >= 1),
    role              text        NOT NULL CHECK (role IN ('USER', 'ASSISTANT')),
    -- the message this one follows in its branch (an answer: the user message it answers)
    parent_id         uuid        REFERENCES cairn.chat_messages (id) ON DELETE CASCADE,
    -- an answer's SendMessage request_id: a retry finds it and replays it
    request_id        uuid,
    state             text        NOT NULL CHECK (state IN ('STREAMING', 'COMPLETED', 'CANCELLED', 'FAILED')),
    -- AEAD(text) under the owner's data key; rewritten at each checkpoint while STREAMING
    ciphertext        bytea       NOT NULL,
    -- code points of the stored text
    text_length       integer     NOT NULL DEFAULT 0 CHECK (text_length >= 0),
    -- AEAD(citations as JSON); null until retrieval has run (and for user messages)
    citations         bytea,
    -- set by CancelMessage (any replica); the generating replica stops when it sees it
    cancel_requested  boolean     NOT NULL DEFAULT false,
    finish_reason     text,
    prompt_tokens     integer     NOT NULL DEFAULT 0,
    completion_tokens integer     NOT NULL DEFAULT 0,
    first_token_ms    bigint,
    total_ms          bigint,
    -- a FAILED answer's status code name and message (no content)
    error_code        text,
    error_message     text,
    created_at        timestamptz NOT NULL,
    -- the last checkpoint: an answer STREAMING without one for long was orphaned by its replica
    heartbeat_at      timestamptz NOT NULL,
    ended_at          timestamptz,
    UNIQUE (conversation_id, seq),
    CHECK (role = 'ASSISTANT' OR state = 'COMPLETED')
);
CREATE UNIQUE INDEX chat_messages_request_idx ON cairn.chat_messages (conversation_id, request_id)
    WHERE request_id IS NOT NULL;
CREATE INDEX chat_messages_owner_idx ON cairn.chat_messages (owner_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON cairn.conversations TO ${app_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON cairn.chat_messages TO ${app_role};

-- Only the owner sees or touches a conversation and its messages: no grant reaches chat.
ALTER TABLE cairn.conversations ENABLE ROW LEVEL SECURITY;
CREATE POLICY conversations_owner ON cairn.conversations FOR ALL
    USING (owner_id = cairn.current_user_id())
    WITH CHECK (owner_id = cairn.current_user_id());
ALTER TABLE cairn.chat_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY chat_messages_owner ON cairn.chat_messages FOR ALL
    USING (owner_id = cairn.current_user_id())
    WITH CHECK (owner_id = cairn.current_user_id());

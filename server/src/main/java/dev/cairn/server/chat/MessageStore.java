package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.content.ContentStore;
import dev.cairn.server.content.ContentStore.MessageTexts;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;

/** Turns stored message rows into domain messages and back: the text and citations through the content store's cipher. */
final class MessageStore {
  private final ContentStore content;

  MessageStore(ContentStore content) {
    this.content = requireNonNull(content, "content");
  }

  MessageTexts cipher(DSLContext sql, UUID owner) {
    return content.messageTexts(sql, owner);
  }

  byte[] encryptText(DSLContext sql, UUID owner, UUID conversation, UUID message, String text) {
    return cipher(sql, owner).encrypt(conversation, message, MessageTexts.TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  byte[] encryptCitations(DSLContext sql, UUID owner, UUID conversation, UUID message, List<Chat.Citation> citations) {
    return cipher(sql, owner).encrypt(conversation, message, MessageTexts.CITATIONS, ChatCodec.citations(citations));
  }

  Chat.Message decrypt(DSLContext sql, ChatRepository.StoredMessage m) {
    return decrypt(cipher(sql, m.ownerId()), m);
  }

  /** With a cipher the transaction already read (the owner's key: one query per transaction, not per message). */
  Chat.Message decrypt(MessageTexts cipher, ChatRepository.StoredMessage m) {
    String text = new String(cipher.decrypt(m.conversationId(), m.id(), MessageTexts.TEXT, m.ciphertext()),
        StandardCharsets.UTF_8);
    List<Chat.Citation> citations = m.citations() == null ? null
        : ChatCodec.citations(cipher.decrypt(m.conversationId(), m.id(), MessageTexts.CITATIONS, m.citations()));
    var usage = new Chat.Usage(m.promptTokens(), m.completionTokens(),
        m.firstTokenMs() == null ? null : Duration.ofMillis(m.firstTokenMs()),
        m.totalMs() == null ? null : Duration.ofMillis(m.totalMs()));
    return new Chat.Message(m.id(), m.conversationId(), m.seq(), m.role(), text, m.state(), citations, usage, m.finish(),
        m.errorCode(), m.errorMessage(), m.parentId(), m.createdAt(), m.endedAt());
  }
}

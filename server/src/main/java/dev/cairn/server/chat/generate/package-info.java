/**
 * Answer generators behind one interface: the built-in grounded extractive answerer and an
 * OpenAI-compatible streaming client. They know nothing of gRPC, the database or access rules:
 * the chat service retrieves the caller's sources and hands them over as a {@link
 * dev.cairn.server.chat.generate.Prompt}.
 */
@NullMarked
package dev.cairn.server.chat.generate;

import org.jspecify.annotations.NullMarked;

/**
 * The hash-chained audit of every access: the writer every feature appends through
 * ({@link dev.cairn.server.audit.AuditLog}, {@link dev.cairn.server.audit.AuditAction}), the
 * chainer that links queued events off the commit path, signed checkpoints, refused-access
 * records ({@link dev.cairn.server.audit.AccessDenials}) and the owner's AuditService RPCs.
 * Knows no feature (enforced by ArchitectureTest).
 */
@NullMarked
package dev.cairn.server.audit;

import org.jspecify.annotations.NullMarked;

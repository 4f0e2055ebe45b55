/**
 * Keys and ciphers: the key-encryption keys, each owner's data key (envelope encryption with
 * Tink AEAD, crypto-shredding by deleting it), the cipher that binds a ciphertext to where it
 * belongs, and the attestation key.
 */
@NullMarked
package dev.cairn.server.crypto;

import org.jspecify.annotations.NullMarked;

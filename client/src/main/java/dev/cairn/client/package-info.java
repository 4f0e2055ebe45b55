/**
 * The Cairn Java SDK: {@link dev.cairn.client.CairnClient} opens one channel to a Cairn server and
 * hands out its generated stubs, with the caller's token, a default deadline, retries for safe
 * calls and readable errors ({@link dev.cairn.client.CairnError}).
 */
@NullMarked
package dev.cairn.client;

import org.jspecify.annotations.NullMarked;

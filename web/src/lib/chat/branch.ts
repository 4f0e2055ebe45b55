// A conversation's messages form a tree (each names the one it follows in `parent`); the view
// shows one path of it, from the start to a "tip" message. These helpers pick that path and the
// sibling answers a regenerate made, so a person can page between them.
import type { Message } from '../../gen/cairn/chat/v1/message_pb.js';

/** The path from the conversation's start to `tip` (or to the newest message), oldest first. */
export function branchTo(messages: readonly Message[], tip?: string): Message[] {
  const byName = new Map(messages.map((m) => [m.name, m]));
  let at = (tip && byName.get(tip)) || newest(messages);
  const path: Message[] = [];
  const seen = new Set<string>();
  while (at && !seen.has(at.name)) {
    seen.add(at.name);
    path.push(at);
    at = at.parent ? byName.get(at.parent) : undefined;
  }
  return path.reverse();
}

function newest(messages: readonly Message[]): Message | undefined {
  let best: Message | undefined;
  for (const m of messages) if (!best || m.seq > best.seq) best = m;
  return best;
}

/** Messages with the same parent as `message` (itself included), oldest first. */
export function siblings(messages: readonly Message[], message: Message): Message[] {
  return messages.filter((m) => m.parent === message.parent && m.role === message.role).sort((a, b) => Number(a.seq - b.seq));
}

/** The newest message in the subtree under `root` (itself when nothing follows it). */
export function newestUnder(messages: readonly Message[], root: Message): Message {
  const children = new Map<string, Message[]>();
  for (const m of messages) {
    const list = children.get(m.parent) ?? [];
    list.push(m);
    children.set(m.parent, list);
  }
  let best = root;
  const stack = [root];
  while (stack.length) {
    const m = stack.pop()!;
    if (m.seq > best.seq) best = m;
    stack.push(...(children.get(m.name) ?? []));
  }
  return best;
}

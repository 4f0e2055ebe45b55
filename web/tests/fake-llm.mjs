// A local stand-in for an OpenAI-compatible chat server (POST /v1/chat/completions with
// `stream: true`), speaking its exact wire format: `data: {chunk}` server-sent events, then
// `data: [DONE]`. Cairn is started with CAIRN_CHAT_GENERATOR=openai pointed at it, so a chat test
// decides when each piece of an answer arrives: it holds the answer mid-way (to reload the page
// or press Stop) and releases it with a latch, never with a sleep.
import { createServer } from 'node:http';

function envelope(delta, finishReason = null) {
  return JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'fake-model',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
}

function usage(prompt, completion) {
  return JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'fake-model',
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  });
}

function latch() {
  let open;
  const opened = new Promise((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * An answer in `parts`, streamed one part per event; after `holdAfter` parts it waits until
 * `release()`. `closed` resolves when Cairn drops the connection before the end (a cancel).
 */
export function heldAnswer(parts, holdAfter) {
  const gate = latch();
  const held = latch();
  const closed = latch();
  return {
    text: parts.join(''),
    release: gate.open,
    /** Resolves once the first `holdAfter` parts are written and the answer waits. */
    held: held.opened,
    closed: closed.opened,
    async serve(res) {
      let open = true;
      res.on('close', () => {
        if (!res.writableFinished) {
          open = false;
          closed.open();
        }
      });
      const send = (data) => open && res.write(`data: ${data}\n\n`);
      send(envelope({ role: 'assistant', content: '' }));
      for (let i = 0; i < parts.length; i++) {
        if (i === holdAfter) {
          held.open();
          await Promise.race([gate.opened, closed.opened]);
        }
        if (!open) return;
        send(envelope({ content: parts[i] }));
      }
      send(envelope({}, 'stop'));
      send(usage(42, parts.length));
      send('[DONE]');
      res.end();
    },
  };
}

/** Starts the fake on 127.0.0.1:`port`; answers queued with `queue(answer)` serve requests in order. */
export async function startFakeLlm(port) {
  const queued = [];
  const requests = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    requests.push({ path: req.url, body });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const answer = queued.shift() ?? heldAnswer(['Hello', ' world', '.'], -1);
    await answer.serve(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    requests,
    queue(answer) {
      queued.push(answer);
      return answer;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

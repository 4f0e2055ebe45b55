// One open conversation in the console: its messages, the answer streaming now, and the calls
// that change them. Sends are `detach`ed, so an answer goes on when the page reloads or the
// connection drops; the page then re-reads the conversation and follows the streaming answer
// with StreamMessage from the text it already has. Nothing but ids is kept outside the server.
import { create } from '@bufbuild/protobuf';
import { ConnectError, Code } from '@connectrpc/connect';
import { FinishReason, Message_Role, Message_State, MessageSchema } from '../../gen/cairn/chat/v1/message_pb.js';
import type { Message } from '../../gen/cairn/chat/v1/message_pb.js';
import type { SendMessageResponse, StreamMessageResponse } from '../../gen/cairn/chat/v1/chat_service_pb.js';
import { chat, userError } from '../api.js';
import { branchTo } from './branch.js';
import { appendAt, codePointLength } from './text.js';

type Event = SendMessageResponse['event'] | StreamMessageResponse['event'];

/** How many times a broken answer stream is resumed before the view gives up. */
const RESUMES = 5;

export class Thread {
  /** Every message of every branch, by seq. */
  messages = $state<Message[]>([]);
  /** The branch shown ends here; empty: the newest message. */
  tip = $state('');
  /** The assistant message streaming into this page now, if any. */
  streaming = $state('');
  error = $state('');
  loaded = $state(false);

  readonly branch = $derived(branchTo(this.messages, this.tip));

  private abort = new AbortController();

  constructor(readonly conversation: string) {}

  /** Reads the conversation; follows an answer that is still streaming (e.g. after a reload). */
  async load(): Promise<void> {
    const all: Message[] = [];
    let pageToken = '';
    do {
      const res = await chat.listMessages({ parent: this.conversation, pageSize: 1000, pageToken }, this.opts());
      all.push(...res.messages);
      pageToken = res.nextPageToken;
    } while (pageToken);
    this.messages = all;
    this.loaded = true;
    const live = [...this.branch].reverse().find((m) => m.role === Message_Role.ASSISTANT && m.state === Message_State.STREAMING);
    if (live) await this.follow(live.name);
  }

  async send(text: string): Promise<void> {
    const last = this.branch.at(-1);
    await this.run(() =>
      chat.sendMessage(
        { parent: this.conversation, text, requestId: crypto.randomUUID(), detach: true, follows: last?.name ?? '' },
        this.opts(),
      ),
    );
  }

  /**
   * Edit and resend: `text` as a sibling of the user message `of` (it follows what `of` followed,
   * or starts the conversation again), so the earlier question and its answers stay a branch.
   */
  async edit(of: Message, text: string): Promise<void> {
    await this.run(() =>
      chat.sendMessage(
        { parent: this.conversation, text, requestId: crypto.randomUUID(), detach: true, follows: of.parent, fromStart: !of.parent },
        this.opts(),
      ),
    );
  }

  /** Answers `question` (a user message) again: a sibling of its earlier answers. */
  async regenerate(question: string): Promise<void> {
    await this.run(() =>
      chat.sendMessage({ parent: this.conversation, regenerate: question, requestId: crypto.randomUUID(), detach: true }, this.opts()),
    );
  }

  /** Stops the streaming answer; the server keeps its text so far, CANCELLED. */
  async stop(): Promise<void> {
    const name = this.streaming;
    if (!name) return;
    try {
      const { message } = await chat.cancelMessage({ name }, this.opts());
      if (message) this.replace(message);
    } catch (err) {
      this.error = userError(err).message;
    }
  }

  /** Ends this page's streams (the answers go on on the server). */
  close(): void {
    this.abort.abort();
  }

  private async run(open: () => AsyncIterable<SendMessageResponse>): Promise<void> {
    this.error = '';
    let answer = '';
    try {
      for await (const res of open()) {
        if (res.event.case === 'started') {
          const { userMessage, message } = res.event.value;
          if (userMessage) this.upsert(userMessage);
          if (message) {
            this.upsert(message);
            answer = message.name;
            this.tip = message.name;
            this.streaming = message.name;
          }
        } else if (answer) {
          this.apply(answer, res.event);
        }
      }
      if (answer) this.streaming = '';
    } catch (err) {
      if (this.abort.signal.aborted) return;
      if (!answer) {
        this.error = userError(err).message;
        return;
      }
      await this.follow(answer); // the send broke mid-answer: the detached answer goes on
    }
  }

  /** Follows an answer with StreamMessage from the text already shown, resuming if the stream breaks. */
  private async follow(name: string): Promise<void> {
    this.streaming = name;
    this.tip ||= name;
    for (let attempt = 0; attempt <= RESUMES; attempt++) {
      const have = this.find(name);
      const fromOffset = BigInt(codePointLength(have?.text ?? ''));
      try {
        for await (const res of chat.streamMessage({ name, fromOffset }, this.opts())) {
          if (res.event.case === 'started') {
            const now = res.event.value.message;
            // Keep the text already shown: the deltas from fromOffset continue it.
            if (now) this.update(name, (m) => Object.assign(m, { state: now.state, citations: now.citations }));
          } else {
            this.apply(name, res.event);
          }
        }
        this.streaming = '';
        return;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const e = ConnectError.from(err);
        if (e.code !== Code.Unavailable && e.code !== Code.Unknown && e.code !== Code.Canceled) {
          this.error = userError(err).message;
          break;
        }
      }
    }
    this.streaming = '';
  }

  private apply(name: string, event: Event): void {
    switch (event.case) {
      case 'retrieval':
        this.update(name, (m) => (m.citations = event.value.citations));
        break;
      case 'delta':
        this.update(name, (m) => (m.text = appendAt(m.text, event.value.text, Number(event.value.offset))));
        break;
      case 'completed':
        this.update(name, (m) => {
          m.finishReason = event.value.finishReason;
          m.usage = event.value.usage;
          m.state = event.value.finishReason === FinishReason.CANCELLED ? Message_State.CANCELLED : Message_State.COMPLETED;
        });
        break;
    }
  }

  private find(name: string): Message | undefined {
    return this.messages.find((m) => m.name === name);
  }

  private update(name: string, change: (m: Message) => void): void {
    const m = this.find(name);
    if (m) change(m);
  }

  private upsert(message: Message): void {
    if (this.find(message.name)) this.replace(message);
    else this.messages.push(create(MessageSchema, message));
  }

  /** The server's state of a message wins, but never shortens the text a stream already showed. */
  private replace(message: Message): void {
    this.update(message.name, (m) => {
      const text = codePointLength(message.text) >= codePointLength(m.text) ? message.text : m.text;
      Object.assign(m, message, { text });
    });
  }

  private opts() {
    return { signal: this.abort.signal };
  }
}

import { isTerminalPart, SluiceError, type StreamMeta } from '@sluice/protocol';
import type { HubEntry } from './hub-entry.ts';
import { ownerLostPart, unknownStream } from './hub-errors.ts';
import type { CancelOutcome, HubReader, StreamHub } from './stream-hub.ts';

/**
 * What a worker's hub asks of the others, through the primary process: open a reader of a stream one
 * of them generates, read it, close it, or cancel the stream. `id` pairs each answer with its question;
 * `readerId` names a reader opened on another worker for as long as it is read.
 */
export type HubQuestion =
  | { kind: 'open'; id: number; streamId: string; afterSequence: number; readerId: string }
  | { kind: 'next'; id: number; readerId: string }
  | { kind: 'close'; readerId: string }
  | { kind: 'cancel'; id: number; streamId: string }
  | { kind: 'meta'; id: number; streamId: string }
  | { kind: 'read'; id: number; streamId: string }
  | { kind: 'find'; id: number; activeKey: string };

/** The questions any worker may be the one to answer, so the primary asks them all. */
export type BroadcastQuestion = Extract<HubQuestion, { kind: 'open' | 'cancel' | 'meta' | 'read' | 'find' }>;

/** An answer, or `owner-lost` when the worker that ran a reader's stream is gone. */
export type HubAnswer =
  | { kind: 'opened'; id: number; readerId: string; meta: StreamMeta; complete: boolean }
  | { kind: 'entries'; id: number; entries: HubEntry[] | undefined }
  | { kind: 'cancelled'; id: number; outcome: CancelOutcome }
  | { kind: 'meta'; id: number; meta: StreamMeta | undefined }
  | { kind: 'read'; id: number; meta: StreamMeta; entries: HubEntry[] }
  | { kind: 'found'; id: number; streamId: string | undefined }
  | { kind: 'failed'; id: number; code: SluiceError['code']; message: string }
  | { kind: 'owner-lost'; readerId: string };

/** A message from a worker to the primary: a question of its own, or its answer to a question worker `to` asked. */
export type HubReport = { hub: 'question'; question: HubQuestion } | { hub: 'answer'; to: number; answer: HubAnswer };

/** A message from the primary to a worker: a question worker `from` asks it, or the answer to one of its own. */
export type HubDelivery = { hub: 'ask'; from: number; question: HubQuestion } | { hub: 'answer'; answer: HubAnswer };

export function isHubReport(message: unknown): message is HubReport {
  return typeof message === 'object' && message !== null && ((message as HubReport).hub === 'question' || (message as HubReport).hub === 'answer');
}

export function isHubDelivery(message: unknown): message is HubDelivery {
  return typeof message === 'object' && message !== null && ((message as HubDelivery).hub === 'ask' || (message as HubDelivery).hub === 'answer');
}

/** How a worker talks to the primary: process IPC in a cluster worker, anything that carries messages in tests. */
export interface HubChannel {
  send(message: HubReport): void;
}

export interface WorkerHub extends StreamHub {
  /** Hands the hub a message the primary sent. */
  receive(delivery: HubDelivery): void;
}

/**
 * The hub of one worker of several sharing a port without Redis: streams live in the worker that
 * generates them (its memory hub), and a resume, a cancel, a poll or a look-up that lands on another
 * worker is asked of the others through the primary, which passes the question to every other worker
 * and the answer back.
 * Only such a resume's entries travel between processes, a batch per `next()`; a stream read on the
 * worker that runs it costs nothing more than with the memory hub.
 */
export function createWorkerHub(local: StreamHub, channel: HubChannel, workerId: number): WorkerHub {
  let nextQuestionId = 0;
  let nextReaderId = 0;
  const pending = new Map<number, { resolve: (answer: HubAnswer) => void; reject: (error: unknown) => void }>();
  const remoteReaders = new Map<string, RemoteReader>();
  /** Readers this worker serves to another worker's connection, by reader id. */
  const served = new Map<string, HubReader>();

  const ask = (question: HubQuestion & { id: number }): Promise<HubAnswer> =>
    new Promise((resolve, reject) => {
      pending.set(question.id, { resolve, reject });
      channel.send({ hub: 'question', question });
    });

  const answer = (to: number, reply: HubAnswer): void => channel.send({ hub: 'answer', to, answer: reply });

  async function answerQuestion(from: number, question: HubQuestion): Promise<void> {
    try {
      switch (question.kind) {
        case 'open': {
          const reader = await local.open(question.streamId, question.afterSequence);
          served.set(question.readerId, reader);
          answer(from, { kind: 'opened', id: question.id, readerId: question.readerId, meta: reader.meta, complete: reader.complete });
          return;
        }
        case 'next': {
          const reader = served.get(question.readerId);
          const entries = reader === undefined ? undefined : await reader.next();
          if (entries === undefined) served.delete(question.readerId);
          answer(from, { kind: 'entries', id: question.id, entries });
          return;
        }
        case 'close':
          served.get(question.readerId)?.close();
          served.delete(question.readerId);
          return;
        case 'cancel':
          answer(from, { kind: 'cancelled', id: question.id, outcome: await local.cancel(question.streamId) });
          return;
        case 'meta':
          answer(from, { kind: 'meta', id: question.id, meta: await local.meta(question.streamId) });
          return;
        case 'read': {
          const { meta, entries } = await local.read(question.streamId);
          answer(from, { kind: 'read', id: question.id, meta, entries });
          return;
        }
        case 'find':
          answer(from, { kind: 'found', id: question.id, streamId: await local.findActive(question.activeKey) });
          return;
        default:
          question satisfies never;
      }
    } catch (error) {
      if (question.kind === 'close') return;
      const failure = error instanceof SluiceError ? error : new SluiceError('internal', 'The stream could not be read on the worker running it');
      answer(from, { kind: 'failed', id: question.id, code: failure.code, message: failure.message });
    }
  }

  return {
    shared: false,
    create: (meta, handlers, options) => local.create(meta, handlers, options),
    async open(streamId, afterSequence) {
      try {
        return await local.open(streamId, afterSequence);
      } catch (error) {
        if (!(error instanceof SluiceError) || error.code !== 'not_found') throw error;
      }
      const readerId = `${workerId}:${nextReaderId++}`;
      const opened = settle(await ask({ kind: 'open', id: nextQuestionId++, streamId, afterSequence, readerId }), streamId);
      if (opened.kind !== 'opened') throw new SluiceError('internal', `Unexpected answer ${opened.kind} to open`);
      const reader = new RemoteReader(opened.meta, opened.complete, afterSequence, {
        next: async () => {
          const reply = settle(await ask({ kind: 'next', id: nextQuestionId++, readerId }), streamId);
          return reply.kind === 'entries' ? reply.entries : undefined;
        },
        close: () => {
          remoteReaders.delete(readerId);
          channel.send({ hub: 'question', question: { kind: 'close', readerId } });
        },
      });
      remoteReaders.set(readerId, reader);
      return reader;
    },
    async cancel(streamId) {
      const outcome = await local.cancel(streamId);
      if (outcome !== 'not_found') return outcome;
      const reply = settle(await ask({ kind: 'cancel', id: nextQuestionId++, streamId }), streamId);
      return reply.kind === 'cancelled' ? reply.outcome : 'not_found';
    },
    async meta(streamId) {
      const meta = await local.meta(streamId);
      if (meta !== undefined) return meta;
      const reply = settle(await ask({ kind: 'meta', id: nextQuestionId++, streamId }), streamId);
      return reply.kind === 'meta' ? reply.meta : undefined;
    },
    async read(streamId) {
      try {
        return await local.read(streamId);
      } catch (error) {
        if (!(error instanceof SluiceError) || error.code !== 'not_found') throw error;
      }
      const reply = settle(await ask({ kind: 'read', id: nextQuestionId++, streamId }), streamId);
      if (reply.kind !== 'read') throw unknownStream(streamId);
      return { meta: reply.meta, entries: reply.entries };
    },
    async findActive(activeKey) {
      const found = await local.findActive(activeKey);
      if (found !== undefined) return found;
      const reply = settle(await ask({ kind: 'find', id: nextQuestionId++, activeKey }), activeKey);
      return reply.kind === 'found' ? reply.streamId : undefined;
    },
    receive(delivery) {
      if (delivery.hub === 'ask') {
        void answerQuestion(delivery.from, delivery.question);
        return;
      }
      const reply = delivery.answer;
      if (reply.kind === 'owner-lost') {
        remoteReaders.get(reply.readerId)?.ownerLost();
        return;
      }
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      waiter?.resolve(reply);
    },
    async close() {
      for (const waiter of pending.values()) waiter.reject(new SluiceError('shutting_down', 'This worker is shutting down'));
      pending.clear();
      for (const reader of served.values()) reader.close();
      served.clear();
      await local.close();
    },
  };
}

/** A failure answer as the error it stands for; `not_found` names the stream. */
function settle(reply: HubAnswer, streamId: string): HubAnswer {
  if (reply.kind !== 'failed') return reply;
  if (reply.code === 'not_found') throw unknownStream(streamId);
  throw new SluiceError(reply.code, reply.message);
}

/**
 * A reader of a stream another worker generates: each `next()` is a round trip to it. When that worker
 * dies, the reader ends with the same retryable error a Redis reader gets when its owner died.
 */
class RemoteReader implements HubReader {
  readonly meta: StreamMeta;
  readonly complete: boolean;
  private readonly remote: { next(): Promise<HubEntry[] | undefined>; close(): void };
  private lastSequence: number;
  private closed = false;
  private lost = false;
  private wake: ((entries: HubEntry[] | undefined) => void) | undefined;

  constructor(meta: StreamMeta, complete: boolean, afterSequence: number, remote: { next(): Promise<HubEntry[] | undefined>; close(): void }) {
    this.meta = meta;
    this.complete = complete;
    this.lastSequence = afterSequence;
    this.remote = remote;
  }

  async next(): Promise<HubEntry[] | undefined> {
    if (this.closed) return undefined;
    if (this.lost) return this.endWithOwnerLost();
    const ended = new Promise<HubEntry[] | undefined>((resolve) => (this.wake = resolve));
    const entries = await Promise.race([this.remote.next(), ended]);
    this.wake = undefined;
    if (this.closed) return undefined;
    if (this.lost && entries === undefined) return this.endWithOwnerLost();
    const last = entries?.at(-1);
    if (last !== undefined) this.lastSequence = last.sequence;
    if (entries === undefined || (last !== undefined && isTerminalPart(last.part))) this.finish();
    return entries;
  }

  close(): void {
    if (this.closed) return;
    this.finish();
    this.wake?.(undefined);
  }

  ownerLost(): void {
    this.lost = true;
    this.wake?.(undefined);
  }

  private endWithOwnerLost(): HubEntry[] {
    this.finish();
    return [{ sequence: this.lastSequence + 1, part: ownerLostPart }];
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.remote.close();
  }
}

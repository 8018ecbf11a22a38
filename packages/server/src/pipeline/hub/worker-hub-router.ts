import type { BroadcastQuestion, HubAnswer, HubDelivery, HubQuestion, HubReport } from './worker-hub.ts';

/**
 * The primary process's part of the worker hubs (`worker-hub.ts`): it keeps no stream, only passes
 * questions on. An `open`, a `cancel`, a `meta`, a `read` or a `find` goes to every other worker, since
 * any may run the stream; the first answer that is not "no such stream" is the answer, and that no once
 * all said so. A reader's
 * `next` and `close` go to the worker that opened it. When a worker leaves, the readers it served end
 * with `owner-lost`, and questions waiting on it count it as not having the stream.
 */
export class WorkerHubRouter {
  private readonly deliver: (workerId: number, delivery: HubDelivery) => void;
  private readonly workers = new Set<number>();
  /** `open` and `cancel` questions still waiting on some worker, by `asker:id`. */
  private readonly broadcasts = new Map<string, { asker: number; waitingOn: Set<number>; question: BroadcastQuestion }>();
  /** Open readers: who serves each and who reads it. */
  private readonly readers = new Map<string, { owner: number; asker: number }>();
  /** `next` questions waiting on their reader's owner, by `asker:id`. */
  private readonly reads = new Map<string, { asker: number; owner: number; id: number }>();

  constructor(deliver: (workerId: number, delivery: HubDelivery) => void) {
    this.deliver = deliver;
  }

  joined(workerId: number): void {
    this.workers.add(workerId);
  }

  left(workerId: number): void {
    this.workers.delete(workerId);
    for (const [readerId, reader] of this.readers) {
      if (reader.owner === workerId) this.deliver(reader.asker, { hub: 'answer', answer: { kind: 'owner-lost', readerId } });
      else if (reader.asker === workerId) this.closeReader(reader.owner, workerId, readerId);
      if (reader.owner === workerId || reader.asker === workerId) this.readers.delete(readerId);
    }
    for (const [key, read] of this.reads) {
      if (read.owner !== workerId && read.asker !== workerId) continue;
      this.reads.delete(key);
      if (read.asker !== workerId) this.deliver(read.asker, { hub: 'answer', answer: { kind: 'entries', id: read.id, entries: undefined } });
    }
    for (const [key, broadcast] of this.broadcasts) {
      if (broadcast.asker === workerId) this.broadcasts.delete(key);
      else if (broadcast.waitingOn.delete(workerId)) this.finishIfAllSaidNo(key);
    }
  }

  /** A message a worker sent. */
  receive(from: number, report: HubReport): void {
    if (report.hub === 'question') this.route(from, report.question);
    else this.answer(from, report.to, report.answer);
  }

  private route(asker: number, question: HubQuestion): void {
    switch (question.kind) {
      case 'open':
      case 'cancel':
      case 'meta':
      case 'read':
      case 'find': {
        const others = new Set([...this.workers].filter((workerId) => workerId !== asker));
        const key = `${asker}:${question.id}`;
        this.broadcasts.set(key, { asker, waitingOn: others, question });
        for (const workerId of others) this.deliver(workerId, { hub: 'ask', from: asker, question });
        this.finishIfAllSaidNo(key);
        return;
      }
      case 'next': {
        const reader = this.readers.get(question.readerId);
        if (reader === undefined) {
          this.deliver(asker, { hub: 'answer', answer: { kind: 'entries', id: question.id, entries: undefined } });
          return;
        }
        this.reads.set(`${asker}:${question.id}`, { asker, owner: reader.owner, id: question.id });
        this.deliver(reader.owner, { hub: 'ask', from: asker, question });
        return;
      }
      case 'close': {
        const reader = this.readers.get(question.readerId);
        this.readers.delete(question.readerId);
        if (reader !== undefined) this.deliver(reader.owner, { hub: 'ask', from: asker, question });
        return;
      }
      default:
        question satisfies never;
    }
  }

  private answer(owner: number, asker: number, answer: HubAnswer): void {
    if (answer.kind === 'owner-lost') return;
    const key = `${asker}:${answer.id}`;
    if (this.reads.delete(key)) {
      this.deliver(asker, { hub: 'answer', answer });
      return;
    }
    const broadcast = this.broadcasts.get(key);
    if (broadcast === undefined || !broadcast.waitingOn.delete(owner)) {
      // Its asker left meanwhile: nobody will read or close what was opened for it.
      if (answer.kind === 'opened') this.closeReader(owner, asker, answer.readerId);
      return;
    }
    const saysNo =
      (answer.kind === 'failed' && answer.code === 'not_found') ||
      (answer.kind === 'cancelled' && answer.outcome === 'not_found') ||
      (answer.kind === 'meta' && answer.meta === undefined) ||
      (answer.kind === 'found' && answer.streamId === undefined);
    if (saysNo) {
      this.finishIfAllSaidNo(key);
      return;
    }
    this.broadcasts.delete(key);
    if (answer.kind === 'opened') this.readers.set(answer.readerId, { owner, asker });
    this.deliver(asker, { hub: 'answer', answer });
  }

  private closeReader(owner: number, asker: number, readerId: string): void {
    this.deliver(owner, { hub: 'ask', from: asker, question: { kind: 'close', readerId } });
  }

  private finishIfAllSaidNo(key: string): void {
    const broadcast = this.broadcasts.get(key);
    if (broadcast === undefined || broadcast.waitingOn.size > 0) return;
    this.broadcasts.delete(key);
    this.deliver(broadcast.asker, { hub: 'answer', answer: noSuchStream(broadcast.question) });
  }
}

/** The answer to a question no worker could answer yes to. */
function noSuchStream(question: BroadcastQuestion): HubAnswer {
  switch (question.kind) {
    case 'cancel':
      return { kind: 'cancelled', id: question.id, outcome: 'not_found' };
    case 'meta':
      return { kind: 'meta', id: question.id, meta: undefined };
    case 'find':
      return { kind: 'found', id: question.id, streamId: undefined };
    case 'open':
    case 'read':
      return { kind: 'failed', id: question.id, code: 'not_found', message: 'not found' };
    default:
      return question satisfies never;
  }
}

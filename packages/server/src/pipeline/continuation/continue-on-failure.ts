import {
  type ChatRequest,
  type ContinuedPart,
  type ErrorPart,
  SluiceError,
  type StreamPart,
  type Usage,
  type UsagePart,
} from '@sluice/protocol';
import { createStreamTally, estimateUsage } from '../account-stream.ts';
import { toErrorPart } from '../guard-upstream.ts';
import { openWithFallbacks, type OpenedUpstream, type OpenUpstreamOptions } from '../open-with-fallbacks.ts';
import type { ContinuePolicy, RouteTarget } from '../route-model.ts';
import type { StreamAbort } from '../stream-abort.ts';
import { createContinuationRequest, type ContinuationRequest } from './continuation-request.ts';
import { createContinuationSeam, type ContinuationSeam } from './continuation-seam.ts';

export interface ContinuationOptions extends OpenUpstreamOptions {
  targets: RouteTarget[];
  continueOnFailure: ContinuePolicy;
  /** Called when an attempt failed and the next one took over, before its parts flow. */
  onContinued?(continued: ContinuedPart, failure: ErrorPart, failed: RouteTarget, next: RouteTarget): void;
}

/** How an attempt ended when it did not finish: its error, and the trigger it counts as (none: not continued). */
interface AttemptFailure {
  trigger: ContinuedPart['trigger'] | undefined;
  part: ErrorPart;
}

/** What a taken-over stream ends with when no attempt could continue it. */
const ownerLostPart: ErrorPart = {
  type: 'error',
  code: 'internal',
  message: 'The instance generating this stream stopped before it finished, and no upstream could continue it; ask again',
  retryable: true,
};

/**
 * The continuation stage of the pipeline (a route's `continueOnFailure`): one answer out of as many
 * upstream attempts as it takes. When an attempt fails after the first byte (its connection breaks, it
 * goes quiet past the idle timeout, or it sends a retryable error event), the next target (the same one
 * again, then the route's fallbacks) is asked to go on from the text already sent, and its parts join the
 * stream as if nothing had happened: a `continued` part marks the seam; the continuation's response
 * metadata and reasoning are dropped (the client has the first attempt's); its text passes through a
 * seam that removes what it repeats; tool calls of the failed attempt are void (listed in the `continued`
 * part) and the new ones take the indices after them; usage adds up every attempt, estimated for an
 * attempt that reported none.
 *
 * Only streams whose route asks for it go through here, so the others pay nothing for it.
 */
export class ContinuedStream {
  private readonly options: ContinuationOptions;
  private attemptController = new AbortController();
  private interruption: StreamAbort | undefined;
  private continuations = 0;
  /** The answer's text as sent downstream, over every attempt. */
  private sentText = '';
  private toolIndexOffset = 0;
  private attemptToolIndices = new Set<number>();
  private attemptPromptCharacters = 0;
  private attemptTextCharacters = 0;
  private attemptUsage: Usage | undefined;
  /** Usage of the attempts that failed, summed. */
  private earlierUsage: Usage | undefined;

  constructor(options: ContinuationOptions) {
    this.options = options;
  }

  /** Opens the first attempt, with fallbacks before the first byte as any stream; its parts then flow through this stage. */
  async open(request: ChatRequest): Promise<OpenedUpstream> {
    const opened = await openWithFallbacks(this.options.targets, request, this.attemptOptions());
    return { target: opened.target, parts: this.run(request, opened) };
  }

  /**
   * Continues a stream whose instance died (with Redis, another instance claimed it): the answer so far
   * is read from the parts that instance stored, and the next attempt goes on after them, marked
   * `continued` with the trigger `owner_lost`. Yields the parts that follow `history`.
   */
  takeOver(request: ChatRequest, history: readonly StreamPart[]): AsyncIterable<StreamPart[]> {
    let usageSoFar: Usage | undefined;
    for (const part of history) {
      switch (part.type) {
        case 'text-delta':
          this.sentText += part.text;
          this.attemptTextCharacters += part.text.length;
          break;
        case 'tool-call-delta':
          this.attemptToolIndices.add(part.index);
          this.attemptTextCharacters += part.argumentsDelta.length;
          break;
        case 'usage':
          // Stored usage already adds up every attempt before it.
          usageSoFar = part.usage;
          this.attemptTextCharacters = 0;
          break;
        case 'continued':
          this.continuations += 1;
          this.startAttempt(request);
          break;
        default:
          break;
      }
    }
    this.attemptPromptCharacters = usageSoFar === undefined ? JSON.stringify(request.messages).length : 0;
    this.earlierUsage = addUsage(usageSoFar, this.estimateAttempt());
    return this.run(request, undefined);
  }

  /**
   * Ends the attempt in flight for a content timeout, so that the next attempt continues it; false when
   * this stage does not continue that timeout (the stream is then aborted as usual).
   */
  interrupt(reason: StreamAbort): boolean {
    const policy = this.options.continueOnFailure;
    if (reason.reason !== 'idle_timeout' || !policy.on.includes('timeout') || this.continuations >= policy.max) return false;
    this.interruption ??= reason;
    this.attemptController.abort(reason);
    return true;
  }

  private attemptOptions(): OpenUpstreamOptions {
    return { ...this.options, signal: AbortSignal.any([this.options.signal, this.attemptController.signal]) };
  }

  /** The attempts, from `first` (undefined for a takeover, whose first attempt died with its instance). */
  private async *run(request: ChatRequest, first: OpenedUpstream | undefined): AsyncGenerator<StreamPart[]> {
    let current = first;
    let seam: ContinuationSeam | undefined;
    if (current !== undefined) this.attemptPromptCharacters = JSON.stringify(request.messages).length;
    while (true) {
      let failure: AttemptFailure | undefined = { trigger: 'owner_lost', part: ownerLostPart };
      if (current !== undefined) {
        failure = yield* this.relay(current.parts, seam);
        if (failure === undefined) return;
        this.earlierUsage = addUsage(this.earlierUsage, this.attemptUsage ?? this.estimateAttempt());
      }
      const failed = current?.target ?? this.options.targets[0]!;
      const next = this.continues(failure) ? await this.openContinuation(failed, request) : undefined;
      if (next === undefined) {
        yield this.earlierUsage === undefined || this.continuations === 0 ? [failure.part] : [usagePart(this.earlierUsage), failure.part];
        return;
      }
      this.continuations += 1;
      const continued: ContinuedPart = {
        type: 'continued',
        attempt: this.continuations + 1,
        trigger: failure.trigger!,
        method: next.opened.target.provider.continuation.method,
      };
      if (this.attemptToolIndices.size > 0) continued.restartedToolCalls = [...this.attemptToolIndices].sort((a, b) => a - b);
      this.options.onContinued?.(continued, failure.part, failed, next.opened.target);
      this.startAttempt(next.continuation.request);
      current = next.opened;
      seam = createContinuationSeam(this.sentText, continued.method, next.continuation.repeated);
      yield [continued];
    }
  }

  /** Relays one attempt; undefined when it finished, else how it failed (its error part not yet sent). */
  private async *relay(parts: AsyncIterable<StreamPart[]>, seam: ContinuationSeam | undefined): AsyncGenerator<StreamPart[], AttemptFailure | undefined> {
    try {
      for await (const batch of parts) {
        const out: StreamPart[] = [];
        for (const part of batch) {
          if (part.type === 'error') {
            if (out.length > 0) yield out;
            return { trigger: part.retryable ? 'upstream_error' : undefined, part };
          }
          this.take(part, seam, out);
          if (part.type === 'finish') {
            yield out;
            return undefined;
          }
        }
        if (out.length > 0) yield out;
      }
      return { trigger: 'connection', part: toErrorPart(new SluiceError('upstream_error', 'The upstream ended the stream without finishing')) };
    } catch (error) {
      if (this.options.signal.aborted) return { trigger: undefined, part: toErrorPart(this.options.signal.reason) };
      if (this.interruption !== undefined) return { trigger: 'timeout', part: toErrorPart(this.interruption) };
      return { trigger: 'connection', part: toErrorPart(error) };
    }
  }

  /** Appends what `part` of the current attempt becomes downstream. */
  private take(part: Exclude<StreamPart, ErrorPart>, seam: ContinuationSeam | undefined, out: StreamPart[]): void {
    const continuing = this.continuations > 0;
    switch (part.type) {
      case 'text-delta': {
        const text = seam === undefined ? part.text : seam.accept(part.text);
        this.attemptTextCharacters += part.text.length;
        if (text === '') return;
        this.sentText += text;
        out.push(text === part.text ? part : { type: 'text-delta', text });
        return;
      }
      case 'tool-call-delta': {
        const index = part.index + this.toolIndexOffset;
        this.attemptToolIndices.add(index);
        this.attemptTextCharacters += part.argumentsDelta.length;
        out.push(index === part.index ? part : { ...part, index });
        return;
      }
      case 'reasoning-delta':
        this.attemptTextCharacters += part.text.length;
        if (!continuing) out.push(part);
        return;
      case 'response-metadata':
        if (!continuing) out.push(part);
        return;
      case 'usage':
        this.attemptUsage = part.usage;
        out.push(this.earlierUsage === undefined ? part : usagePart(addUsage(this.earlierUsage, part.usage)));
        return;
      case 'finish': {
        const held = seam?.end() ?? '';
        if (held !== '') {
          this.sentText += held;
          out.push({ type: 'text-delta', text: held });
        }
        // A continuation that reported no usage still bills what the failed attempts cost.
        if (continuing && this.attemptUsage === undefined) out.push(usagePart(addUsage(this.earlierUsage, this.estimateAttempt())));
        out.push(part);
        return;
      }
      case 'sources':
      case 'continued':
        out.push(part);
        return;
      default:
        part satisfies never;
    }
  }

  private continues(failure: AttemptFailure): boolean {
    const policy = this.options.continueOnFailure;
    if (failure.trigger === undefined || this.continuations >= policy.max) return false;
    return failure.trigger === 'owner_lost' || policy.on.includes(failure.trigger);
  }

  /** The next attempt, from the failed target onwards; undefined when none would take the continuation. */
  private async openContinuation(failed: RouteTarget, request: ChatRequest): Promise<{ opened: OpenedUpstream; continuation: ContinuationRequest } | undefined> {
    const { targets } = this.options;
    const order = [failed, ...targets.filter((target) => target !== failed)];
    const requests = new Map(order.map((target) => [target, createContinuationRequest(request, this.sentText, target.provider.continuation)]));
    this.attemptController = new AbortController();
    this.interruption = undefined;
    try {
      const opened = await openWithFallbacks(order, (target) => requests.get(target)!.request, this.attemptOptions());
      return { opened, continuation: requests.get(opened.target)! };
    } catch {
      return undefined;
    }
  }

  private startAttempt(request: ChatRequest): void {
    this.attemptPromptCharacters = JSON.stringify(request.messages).length;
    this.toolIndexOffset = Math.max(this.toolIndexOffset, ...[...this.attemptToolIndices].map((index) => index + 1));
    this.attemptToolIndices = new Set();
    this.attemptTextCharacters = 0;
    this.attemptUsage = undefined;
  }

  private estimateAttempt(): Usage {
    const tally = createStreamTally(this.attemptPromptCharacters);
    tally.textCharacters = this.attemptTextCharacters;
    return estimateUsage(tally);
  }
}

function addUsage(earlier: Usage | undefined, usage: Usage): Usage {
  if (earlier === undefined) return usage;
  return {
    promptTokens: earlier.promptTokens + usage.promptTokens,
    completionTokens: earlier.completionTokens + usage.completionTokens,
    totalTokens: earlier.totalTokens + usage.totalTokens,
    estimated: earlier.estimated || usage.estimated,
  };
}

function usagePart(usage: Usage): UsagePart {
  return { type: 'usage', usage };
}

/**
 * Dynamic batching of chat requests: requests that arrive close together are answered by one
 * `model.chatBatch` call, which for the local model means one forward pass over a (B, T) batch
 * instead of B passes over (1, T) — the same idea as the request batching in vLLM or TGI,
 * simplified to whole-request batches (no continuous batching inside generation).
 *
 * How a batch forms:
 * - Requests are grouped by their sampling options (a batch shares one `SamplingOptions`), so
 *   only compatible requests travel together.
 * - The first request of a group opens a window of `windowMs` (default 5 ms). When it closes,
 *   the group is sent — unless `maxConcurrent` batches (default 1) are already running; then the
 *   group keeps accepting requests until the model is free, so batches grow under load.
 * - A group that reaches `maxBatch` (default 32) conversations is closed at once and sent as
 *   soon as a slot is free. Ready groups go out oldest first.
 *
 * Failure isolation: if a batch call throws (say one prompt exceeds the context and the model
 * rejects the batch with a 400), each conversation of that batch is retried alone with
 * `model.chat`, so one bad request cannot fail its neighbours; each then gets its own answer or
 * error. Models without `chatBatch` are simply called with `chat`, one request each.
 *
 * @example
 * ```ts
 * const batcher = new ChatBatcher(model, { windowMs: 5, maxBatch: 32 });
 * const [a, b] = await Promise.all([batcher.submit(convA, opts), batcher.submit(convB, opts)]); // one chatBatch call
 * ```
 */
import type { ChatMessage, Completion, LanguageModel, SamplingOptions } from '../providers/types.js';

export interface BatcherConfig {
  /** How long the first request of a batch waits for companions, in ms (default 5). */
  windowMs?: number;
  /** Most conversations in one chatBatch call (default 32). */
  maxBatch?: number;
  /** chatBatch calls running at once (default 1); while all are busy, waiting batches keep growing. */
  maxConcurrent?: number;
}

interface Pending {
  messages: ChatMessage[];
  resolve: (c: Completion) => void;
  reject: (e: unknown) => void;
}

interface Group {
  key: string;
  opts: SamplingOptions;
  items: Pending[];
  /** Arrival order of the group's first request: ready groups are sent oldest first. */
  seq: number;
  windowDone: boolean;
  timer?: NodeJS.Timeout;
}

export class ChatBatcher {
  readonly windowMs: number;
  readonly maxBatch: number;
  readonly maxConcurrent: number;
  /** Counters for logs and tests: batch calls made and conversations they carried. */
  readonly stats = { batches: 0, conversations: 0, largest: 0 };
  readonly #model: LanguageModel;
  /** Groups still accepting requests, by options key. */
  readonly #open = new Map<string, Group>();
  /** Groups that reached maxBatch, waiting for a free slot. */
  readonly #full: Group[] = [];
  #inFlight = 0;
  #seq = 0;

  constructor(model: LanguageModel, config: BatcherConfig = {}) {
    this.#model = model;
    this.windowMs = config.windowMs ?? 5;
    this.maxBatch = config.maxBatch ?? 32;
    this.maxConcurrent = config.maxConcurrent ?? 1;
  }

  /** Answers one conversation, batched with compatible concurrent ones when the model has chatBatch. */
  submit(messages: ChatMessage[], opts: SamplingOptions): Promise<Completion> {
    if (!this.#model.chatBatch) return this.#model.chat(messages, opts);
    return new Promise<Completion>((resolve, reject) => {
      const key = optionsKey(opts);
      let group = this.#open.get(key);
      if (!group) {
        const g: Group = { key, opts, items: [], seq: this.#seq++, windowDone: false };
        g.timer = setTimeout(() => {
          g.windowDone = true;
          this.#pump();
        }, this.windowMs);
        this.#open.set(key, g);
        group = g;
      }
      group.items.push({ messages, resolve, reject });
      if (group.items.length >= this.maxBatch) {
        clearTimeout(group.timer);
        this.#open.delete(key);
        this.#full.push(group);
      }
      this.#pump();
    });
  }

  /** Starts ready groups while slots are free. */
  #pump(): void {
    while (this.#inFlight < this.maxConcurrent) {
      const group = this.#takeReady();
      if (!group) return;
      void this.#run(group);
    }
  }

  /** The oldest group that may go: a full one, or an open one whose window has passed. */
  #takeReady(): Group | undefined {
    let best = this.#full[0];
    for (const g of this.#open.values()) if (g.windowDone && (!best || g.seq < best.seq)) best = g;
    if (!best) return undefined;
    if (best === this.#full[0]) this.#full.shift();
    else {
      clearTimeout(best.timer);
      this.#open.delete(best.key);
    }
    return best;
  }

  async #run(group: Group): Promise<void> {
    this.#inFlight++;
    const n = group.items.length;
    this.stats.batches++;
    this.stats.conversations += n;
    this.stats.largest = Math.max(this.stats.largest, n);
    try {
      const results = await this.#model.chatBatch!(
        group.items.map((it) => it.messages),
        group.opts,
      );
      if (!Array.isArray(results) || results.length !== n) {
        throw new Error(`${this.#model.id}: chatBatch returned ${Array.isArray(results) ? results.length : 'no'} completions for ${n} conversations`);
      }
      group.items.forEach((it, i) => it.resolve(results[i]));
    } catch (e) {
      if (n === 1) group.items[0].reject(e);
      else {
        // Promise.resolve().then: a chat that throws synchronously still rejects only its own request.
        const alone = (it: Pending) => Promise.resolve().then(() => this.#model.chat(it.messages, group.opts));
        await Promise.all(group.items.map((it) => alone(it).then(it.resolve, it.reject)));
      }
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }
}

/** A canonical string for sampling options (sorted keys), so equal options share a batch. */
export function optionsKey(opts: SamplingOptions): string {
  const entries = Object.entries(opts)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/**
 * The BPE model: a vocabulary and a ranked merge list, applied inside one pre-tokenized word.
 *
 * Byte-pair encoding (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword
 * Units") starts a word as single symbols and repeatedly merges the adjacent pair whose merge was
 * learned earliest (lowest rank), until no adjacent pair has a merge:
 *
 *   word "lower", merges ["l o", "lo w", "e r"]:
 *   l o w e r → lo w e r → low e r → low er          (ranks 0, 1, 2)
 *
 * Ties (the same pair at two places) go to the leftmost occurrence, as in GPT-2 and Hugging Face.
 * Initial symbols are the word's characters; for a byte-level model (GPT-2, Llama-3, Qwen2) the
 * pre-tokenizer has already spelled the word in byte characters, so every symbol is in the vocab.
 * For a SentencePiece-style model (Llama-2, TinyLlama) a character missing from the vocab becomes
 * its UTF-8 bytes as "<0xNN>" tokens when `byteFallback` is set, else the `unkToken`.
 *
 * Two merge loops give the same result: the textbook one (scan for the lowest rank, merge, repeat;
 * O(n²)) for short words, and a heap of candidate pairs over a linked list of symbols (O(n log n))
 * for long ones such as a whole SentencePiece sentence. Results are cached per word.
 *
 * `ignoreMerges` (Llama-3): a word that is itself in the vocab is emitted as one token.
 *
 * @example
 *   const m = new BpeModel({ vocab: new Map([['l',0],['o',1],['w',2],['lo',3],['low',4]]),
 *                            merges: [['l','o'], ['lo','w']] });
 *   m.tokenize('low') // [4]
 */
import { utf8Encode } from './bytes.js';
import { BinaryHeap } from './heap.js';
import { fieldError } from './json.js';

export interface BpeModelConfig {
  /** Token string → id. */
  vocab: Map<string, number>;
  /** Merges in priority order (rank 0 first); each pair's concatenation must be in the vocab. */
  merges: Array<[string, string]>;
  /** Token for characters missing from the vocab (default: none — such a character is an error). */
  unkToken?: string | null;
  /** Spell characters missing from the vocab as "<0xNN>" byte tokens (default false). */
  byteFallback?: boolean;
  /** Fuse consecutive unknown characters into one `unkToken` (default false). */
  fuseUnk?: boolean;
  /** Emit a word that is itself in the vocab as one token, skipping the merges (default false). */
  ignoreMerges?: boolean;
}

/** Pair (a, b) of ids → one number; ids must stay below 2^26 so the key is an exact integer. */
const PAIR = 2 ** 26;
/** Words shorter than this use the textbook merge loop. */
const SHORT_WORD = 24;
const CACHE_LIMIT = 200_000;
const CACHE_MAX_WORD = 256;
/** Position bits of a heap key (rank * POS + position). */
const POS = 2 ** 26;

export class BpeModel {
  readonly vocab: Map<string, number>;
  readonly merges: Array<[string, string]>;
  readonly unkToken: string | null;
  readonly byteFallback: boolean;
  readonly fuseUnk: boolean;
  readonly ignoreMerges: boolean;
  /** id → token string (holes for ids that only added tokens use). */
  readonly idToToken: string[] = [];
  /** pair key → merge rank. */
  private readonly rankOf = new Map<number, number>();
  /** merge rank → id of the merged token. */
  private readonly mergedId: Int32Array;
  private readonly byteIds: Int32Array;
  private readonly unkId: number;
  private readonly cache = new Map<string, number[]>();

  /** `where` names the file and field in error messages, e.g. "tok/tokenizer.json: model". */
  constructor(config: BpeModelConfig, where = 'model') {
    this.vocab = config.vocab;
    this.merges = config.merges;
    this.unkToken = config.unkToken ?? null;
    this.byteFallback = config.byteFallback ?? false;
    this.fuseUnk = config.fuseUnk ?? false;
    this.ignoreMerges = config.ignoreMerges ?? false;
    for (const [token, id] of this.vocab) {
      if (!Number.isInteger(id) || id < 0 || id >= PAIR) throw fieldError(`${where}.vocab`, `id of ${JSON.stringify(token)} must be an integer in [0, ${PAIR}), got ${id}`);
      this.idToToken[id] = token;
    }
    this.mergedId = new Int32Array(this.merges.length);
    this.merges.forEach(([a, b], rank) => {
      const idA = this.vocab.get(a);
      const idB = this.vocab.get(b);
      const idAB = this.vocab.get(a + b);
      const missing = idA === undefined ? a : idB === undefined ? b : idAB === undefined ? a + b : undefined;
      if (missing !== undefined) throw fieldError(`${where}.merges[${rank}]`, `merge ${JSON.stringify(`${a} ${b}`)} uses token ${JSON.stringify(missing)} that is not in the vocab`);
      const key = idA! * PAIR + idB!;
      if (!this.rankOf.has(key)) this.rankOf.set(key, rank); // the first of duplicate merges wins
      this.mergedId[rank] = idAB!;
    });
    this.byteIds = new Int32Array(256).fill(-1);
    if (this.byteFallback) {
      for (let b = 0; b < 256; b++) this.byteIds[b] = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
    }
    this.unkId = this.unkToken === null ? -1 : (this.vocab.get(this.unkToken) ?? -1);
    if (this.unkToken !== null && this.unkId < 0) throw fieldError(`${where}.unk_token`, `${JSON.stringify(this.unkToken)} is not in the vocab`);
  }

  /** Ids of one pre-tokenized word. The returned array is shared with the cache: do not mutate. */
  tokenize(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let ids: number[];
    const whole = this.ignoreMerges ? this.vocab.get(word) : undefined;
    if (whole !== undefined) ids = [whole];
    else {
      ids = this.initialSymbols(word);
      ids = ids.length < SHORT_WORD ? this.mergeShort(ids) : this.mergeLong(ids);
    }
    if (word.length <= CACHE_MAX_WORD) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  /** Rank of merging ids (a, b), or -1 when there is no such merge. */
  rank(a: number, b: number): number {
    return this.rankOf.get(a * PAIR + b) ?? -1;
  }

  /** One id per character; unknown characters → byte tokens, or unk (fused if `fuseUnk`). */
  private initialSymbols(word: string): number[] {
    const ids: number[] = [];
    for (const ch of word) {
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      if (this.byteFallback) {
        const bytes = utf8Encode(ch);
        if (bytes.every((b) => this.byteIds[b]! >= 0)) {
          for (const b of bytes) ids.push(this.byteIds[b]!);
          continue;
        }
      }
      if (this.unkId < 0) {
        const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
        throw new Error(`BPE: no token for character ${JSON.stringify(ch)} (U+${cp}) and the model has no unk_token${this.byteFallback ? '' : ' or byte_fallback'}`);
      }
      if (!(this.fuseUnk && ids[ids.length - 1] === this.unkId)) ids.push(this.unkId);
    }
    return ids;
  }

  /** Textbook loop: merge the leftmost lowest-rank pair until none is left. O(n²). */
  private mergeShort(ids: number[]): number[] {
    for (;;) {
      let best = -1;
      let at = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.rank(ids[i]!, ids[i + 1]!);
        if (r >= 0 && (best < 0 || r < best)) {
          best = r;
          at = i;
        }
      }
      if (best < 0) return ids;
      ids.splice(at, 2, this.mergedId[best]!);
    }
  }

  /**
   * The same result in O(n log n): symbols in a linked list, candidate pairs in a heap keyed by
   * (rank, position). A popped candidate is stale if its pair has changed since it was pushed.
   */
  private mergeLong(ids: number[]): number[] {
    const n = ids.length;
    const sym = Int32Array.from(ids);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new BinaryHeap<number>((x, y) => x < y);
    const offer = (i: number) => {
      const j = next[i]!;
      if (j < 0) return;
      const r = this.rank(sym[i]!, sym[j]!);
      if (r >= 0) heap.push(r * POS + i);
    };
    for (let i = 0; i + 1 < n; i++) offer(i);
    while (heap.size > 0) {
      const key = heap.pop()!;
      const r = Math.floor(key / POS);
      const i = key - r * POS;
      const j = next[i]!;
      if (!alive[i] || j < 0 || this.rank(sym[i]!, sym[j]!) !== r) continue;
      sym[i] = this.mergedId[r]!;
      alive[j] = 0;
      next[i] = next[j]!;
      if (next[j]! >= 0) prev[next[j]!] = i;
      if (prev[i]! >= 0) offer(prev[i]!);
      offer(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
    return out;
  }
}

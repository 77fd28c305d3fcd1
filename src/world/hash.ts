/**
 * Stable content hashing for case ids and split assignment.
 *
 * A case's split is a pure function of its content: the canonical content string
 * is hashed (64 bits from two independent FNV-1a lanes with a murmur finalizer) and
 * the hash picks the split by fixed fractions. Identical content therefore can never
 * land in two splits, and re-generating with the same seed reproduces the same ids.
 *
 * @example
 * ```ts
 * const h = contentHash('refund|eligible|...');   // '3fa9c2d10b4e7a55'
 * splitOfHash(h);                                   // 'train' (80 %), 'validation' (10 %), 'test' (5 %), 'heldout' (5 %)
 * ```
 */
import type { Split } from './types.js';

/** Fractions of the case space per split, in order; they sum to 1. */
export const SPLIT_FRACTIONS: Readonly<Record<Split, number>> = {
  train: 0.8,
  validation: 0.1,
  test: 0.05,
  heldout: 0.05,
};

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function fnv1a(bytes: Uint8Array, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return fmix32(h ^ bytes.length);
}

const encoder = new TextEncoder();

/** 64-bit content hash of a string as 16 lowercase hex digits. */
export function contentHash(text: string): string {
  const bytes = encoder.encode(text);
  const a = fnv1a(bytes, 0x811c9dc5);
  const b = fnv1a(bytes, 0x2f1e7c3b);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The split a hash belongs to: its first 32 bits as a fraction of 2^32 against the cumulative {@link SPLIT_FRACTIONS}. */
export function splitOfHash(hash: string): Split {
  const u = parseInt(hash.slice(0, 8), 16) / 4294967296;
  let acc = 0;
  for (const s of ['train', 'validation', 'test'] as const) {
    acc += SPLIT_FRACTIONS[s];
    if (u < acc) return s;
  }
  return 'heldout';
}

import { describe, expect, it } from 'vitest';
import { byteToChar, bytesToSymbols, charToByte, symbolsToBytes, toByteSymbols, utf8Decode, utf8Encode } from './bytes.js';

describe('GPT-2 bytes → unicode table', () => {
  it('has 256 distinct one-unit characters that invert', () => {
    expect(new Set(byteToChar).size).toBe(256);
    byteToChar.forEach((c, b) => {
      expect(c.length).toBe(1);
      expect(charToByte(c.charCodeAt(0))).toBe(b);
    });
  });

  it('matches the well-known GPT-2 spellings', () => {
    // Printable Latin-1 bytes keep their code point; the 68 others get U+0100.. in byte order:
    // 0x00..0x20 → U+0100..U+0120, 0x7F..0xA0 → U+0121..U+0142, 0xAD → U+0143.
    expect(byteToChar[0x20]).toBe('Ġ'); // the space of "Ġthe"
    expect(byteToChar[0x0a]).toBe('Ċ'); // newline
    expect(byteToChar[0x09]).toBe('ĉ'); // tab
    expect(byteToChar[0x00]).toBe('\u0100');
    expect(byteToChar[0x7f]).toBe('\u0121');
    expect(byteToChar[0xa0]).toBe('\u0142');
    expect(byteToChar[0xad]).toBe('\u0143');
    expect(byteToChar[0x61]).toBe('a');
    expect(byteToChar[0xe9]).toBe('é');
  });

  it('spells UTF-8 bytes, and the ASCII fast path agrees with the general one', () => {
    expect(toByteSymbols(' hé')).toBe('ĠhÃ©'); // é = C3 A9
    for (const s of ['plain', ' with space\n', 'naïve 😀', '\u0000\u007f']) {
      expect(toByteSymbols(s)).toBe(bytesToSymbols(utf8Encode(s)));
      expect(utf8Decode(symbolsToBytes(toByteSymbols(s))!)).toBe(s);
    }
    expect(symbolsToBytes('a b')).toBeUndefined(); // a real space is not a byte character
  });
});

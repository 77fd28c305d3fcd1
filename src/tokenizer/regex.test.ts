import { describe, expect, it } from 'vitest';
import { compileHfRegex, GPT2_PATTERN, LLAMA3_PATTERN, translateHfRegex } from './regex.js';

const split = (pattern: string, text: string) => text.match(compileHfRegex(pattern)) ?? [];

describe('Oniguruma → JavaScript regex translation', () => {
  it('expands scoped case-insensitivity by hand', () => {
    expect(translateHfRegex("(?i:'s|'ll)x")).toBe("(?:'[sS]|'[lL][lL])x");
    expect(translateHfRegex('(?i:[a-c])')).toBe('(?:[a-cA-C])');
    expect(translateHfRegex('(?i)ab')).toBe('[aA][bB]');
  });

  it('rewrites property, hex and identity escapes', () => {
    expect(translateHfRegex('\\pL\\p{Han}\\P{N}')).toBe('\\p{L}\\p{Script=Han}\\P{N}');
    expect(translateHfRegex('\\x{263A}')).toBe('\\u{263A}');
    expect(translateHfRegex("\\'\\ ")).toBe("' ");
    expect(translateHfRegex('(?P<w>a)')).toBe('(?<w>a)');
  });

  it('refuses constructs JavaScript cannot express, naming them', () => {
    expect(() => compileHfRegex('a++', 'f.json: pre_tokenizer.pattern')).toThrow(/f\.json: pre_tokenizer\.pattern: .*possessive quantifier/);
    expect(() => compileHfRegex('(?>ab)')).toThrow(/group/);
    expect(() => compileHfRegex('[a[b]]')).toThrow(/nested character class/);
  });

  it('splits like Llama-3 (hand-traced through the alternatives)', () => {
    expect(split(LLAMA3_PATTERN, "I'M here  don't 12345\n\n x")).toEqual(['I', "'M", ' here', ' ', ' don', "'t", ' ', '123', '45', '\n\n', ' x']);
  });

  it("splits like GPT-2, whose contractions are case-sensitive", () => {
    expect(split(GPT2_PATTERN, "I'M here  don't 12345\n\n x")).toEqual(['I', "'", 'M', ' here', ' ', ' don', "'t", ' 12345', '\n\n', ' x']);
  });
});

/**
 * Pre-tokenizer regexes: the patterns real tokenizers use, and a translator from the Rust/Oniguruma
 * dialect stored in `tokenizer.json` to a JavaScript `RegExp` with the `u` flag.
 *
 * Hugging Face `tokenizers` compiles `{"Regex": "..."}` patterns with Oniguruma, whose syntax is
 * close to JavaScript's but not equal. The differences that matter for tokenizer files:
 *
 *   - scoped flags `(?i:...)` (Llama-3, Qwen2 contractions) — Node 20's V8 has no regexp
 *     modifiers, so we expand case-insensitivity by hand: `s` → `[sS]`, `[a-z]` → `[a-zA-Z]`;
 *   - `\pL` and `\p{Han}` — JavaScript wants braces and `Script=` for scripts;
 *   - `\x{263A}` → `\u{263A}`, and `\A` / `\z` anchors → `^` / `$`;
 *   - identity escapes such as `\'` or `\ ` are legal in Oniguruma but a SyntaxError under `u`.
 *
 * Constructs with no faithful JavaScript equivalent (atomic groups `(?>...)`, possessive
 * quantifiers `a++`, nested classes `[a[b]]`, other inline flags) raise an error naming the
 * construct, so a tokenizer is never silently mis-split.
 *
 * @example
 *   const re = compileHfRegex(LLAMA3_PATTERN);           // RegExp with flags 'gu'
 *   'I'm here'.match(re)                                  // ["I", "'m", " here"]
 */

/** GPT-2's split pattern, used by the `ByteLevel` pre-tokenizer when `use_regex` is true. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * Llama-3's split pattern (also tiktoken's cl100k): case-insensitive English contractions, a
 * letter run with at most one leading non-letter (usually the space), numbers in groups of at
 * most 3 digits, punctuation runs with an optional leading space and trailing newlines, newline
 * runs, and whitespace (leaving one space to lead the next word). alignlab's own tokenizers use it.
 */
export const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const GENERAL_CATEGORIES = new Set(
  ('L Lu Ll Lt Lm Lo LC M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Cs Co Cn ' +
    'Letter Mark Number Punctuation Symbol Separator Other Any ASCII Alphabetic White_Space').split(' '),
);
/** Characters that keep their backslash in a JavaScript `u`-mode regex. */
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));

/** Letters whose other case is one code unit, e.g. 's' → ['s', 'S']. */
function caseVariants(ch: string): string[] {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  const out = [ch];
  for (const v of [lo, up]) if (v.length === ch.length && !out.includes(v)) out.push(v);
  return out;
}

function unsupported(pattern: string, what: string): Error {
  return new Error(`unsupported regex construct ${what} in pattern ${JSON.stringify(pattern)}`);
}

/** Translate one escape starting at `pattern[i] === '\\'`; returns [jsText, nextIndex]. */
function translateEscape(pattern: string, i: number, inClass: boolean): [string, number] {
  const c = pattern[i + 1];
  if (c === undefined) throw unsupported(pattern, 'trailing backslash');
  if (c === 'p' || c === 'P') {
    let name: string;
    let end: number;
    if (pattern[i + 2] === '{') {
      end = pattern.indexOf('}', i + 3);
      if (end < 0) throw unsupported(pattern, `unterminated \\${c}{`);
      name = pattern.slice(i + 3, end);
      end += 1;
    } else {
      name = pattern[i + 2] ?? '';
      end = i + 3;
    }
    let negate = c === 'P';
    if (name.startsWith('^')) {
      negate = !negate;
      name = name.slice(1);
    }
    const prop = GENERAL_CATEGORIES.has(name) || name.includes('=') ? name : `Script=${name}`;
    return [`\\${negate ? 'P' : 'p'}{${prop}}`, end];
  }
  if (c === 'x' && pattern[i + 2] === '{') {
    const end = pattern.indexOf('}', i + 3);
    if (end < 0) throw unsupported(pattern, 'unterminated \\x{');
    return [`\\u{${pattern.slice(i + 3, end)}}`, end + 1];
  }
  if (!inClass && c === 'A') return ['^', i + 2];
  if (!inClass && c === 'z') return ['$', i + 2];
  if (!inClass && c === 'Z') return ['(?=\\n?$)', i + 2];
  if ('dDwWsSbBnrtfv0123456789xuc'.includes(c)) return [`\\${c}`, i + 2];
  if (/[A-Za-z]/.test(c)) throw unsupported(pattern, `\\${c}`);
  // A non-alphanumeric escape: keep the backslash only where JavaScript allows it.
  if (JS_SYNTAX.has(c) || (inClass && c === '-')) return [`\\${c}`, i + 2];
  return [c, i + 2];
}

/** Translate a character class starting at `pattern[i] === '['`; returns [jsText, nextIndex]. */
function translateClass(pattern: string, i: number, ignoreCase: boolean): [string, number] {
  let j = i + 1;
  let out = '[';
  if (pattern[j] === '^') {
    out += '^';
    j++;
  }
  if (pattern[j] === ']') {
    out += '\\]'; // a leading ']' is a literal in Oniguruma
    j++;
  }
  const extra: string[] = [];
  while (j < pattern.length && pattern[j] !== ']') {
    const ch = pattern[j]!;
    if (ch === '[') throw unsupported(pattern, 'nested character class');
    if (ch === '&' && pattern[j + 1] === '&') throw unsupported(pattern, 'class intersection &&');
    if (ch === '\\') {
      const [text, next] = translateEscape(pattern, j, true);
      out += text;
      j = next;
      continue;
    }
    out += ch;
    if (ignoreCase && /\p{L}/u.test(ch)) {
      // a range a-z gets its other-case range; a single letter gets its other case
      if (pattern[j + 1] === '-' && pattern[j + 2] !== undefined && pattern[j + 2] !== ']') {
        const hi = pattern[j + 2]!;
        out += `-${hi}`;
        for (const [a, b] of [[ch.toLowerCase(), hi.toLowerCase()], [ch.toUpperCase(), hi.toUpperCase()]] as const) {
          if (a.length === 1 && b.length === 1 && `${a}-${b}` !== `${ch}-${hi}`) extra.push(`${a}-${b}`);
        }
        j += 3;
        continue;
      }
      for (const v of caseVariants(ch)) if (v !== ch) extra.push(v);
    }
    j++;
  }
  if (j >= pattern.length) throw unsupported(pattern, 'unterminated character class');
  return [`${out}${extra.join('')}]`, j + 1];
}

/**
 * Translate an Oniguruma/Rust pattern (as stored in tokenizer.json) to JavaScript regex source.
 * Throws an Error naming the construct when there is no faithful translation.
 */
export function translateHfRegex(pattern: string): string {
  let out = '';
  // One entry per open group: whether the group restores case-sensitivity on close.
  const stack: boolean[] = [];
  let ignoreCase = false;
  let afterQuantifier = false;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (afterQuantifier && ch === '+') throw unsupported(pattern, 'possessive quantifier');
    afterQuantifier = false;
    if (ch === '\\') {
      const [text, next] = translateEscape(pattern, i, false);
      out += text;
      i = next;
    } else if (ch === '[') {
      const [text, next] = translateClass(pattern, i, ignoreCase);
      out += text;
      i = next;
    } else if (ch === '(') {
      stack.push(ignoreCase);
      if (pattern[i + 1] !== '?') {
        out += '(';
        i++;
        continue;
      }
      const rest = pattern.slice(i + 2);
      const flags = /^([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(rest);
      if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
        const head = rest.startsWith('<') ? 2 : 1;
        out += pattern.slice(i, i + 2 + head);
        i += 2 + head;
      } else if (rest.startsWith('P<') || (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!'))) {
        const skip = rest.startsWith('P') ? 1 : 0;
        out += '(?<';
        i += 3 + skip;
      } else if (flags && /^[i]*$/.test(flags[1]!) && /^[i]*$/.test(flags[2] ?? '')) {
        const on: boolean = flags[1]!.includes('i') ? true : (flags[2] ?? '').includes('i') ? false : ignoreCase;
        if (flags[3] === ':') {
          ignoreCase = on;
          out += '(?:';
        } else {
          // `(?i)`: applies to the rest of the enclosing group; emits nothing itself
          stack.pop();
          ignoreCase = on;
        }
        i += 2 + flags[0].length;
      } else {
        throw unsupported(pattern, `group "(?${rest.slice(0, 3)}"`);
      }
    } else if (ch === ')') {
      if (stack.length === 0) throw unsupported(pattern, 'unbalanced ")"');
      ignoreCase = stack.pop()!;
      out += ')';
      i++;
    } else if (ch === '*' || ch === '+' || ch === '?') {
      out += ch;
      i++;
      // a quantifier may be followed by '?' (lazy, fine) or '+' (possessive, unsupported)
      if (pattern[i] === '?') {
        out += '?';
        i++;
      } else {
        afterQuantifier = true;
      }
    } else if (ch === '{' && /^\{\d*,?\d*\}/.test(pattern.slice(i))) {
      const end = pattern.indexOf('}', i);
      out += pattern.slice(i, end + 1);
      i = end + 1;
      if (pattern[i] === '?') {
        out += '?';
        i++;
      } else {
        afterQuantifier = true;
      }
    } else if (ignoreCase && /\p{L}/u.test(ch)) {
      const variants = caseVariants(ch);
      out += variants.length > 1 ? `[${variants.join('')}]` : ch;
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/**
 * Compile a tokenizer.json regex to a global, Unicode JavaScript RegExp (`flags: 'gu'`).
 * `where` names the file and field for the error message.
 */
export function compileHfRegex(pattern: string, where = 'pattern'): RegExp {
  let source: string;
  try {
    source = translateHfRegex(pattern);
    return new RegExp(source, 'gu');
  } catch (err) {
    throw new Error(`${where}: cannot use regex ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

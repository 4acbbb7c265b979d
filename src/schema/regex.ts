/**
 * Generates strings matching simple ECMAScript regular expressions (JSON
 * Schema `pattern`). Supported: literals and escapes, `.`, character classes
 * (ranges, negation, \d \w \s and their complements), groups (capturing,
 * non-capturing, named), alternation, quantifiers (* + ? {n} {n,} {n,m}, lazy
 * forms), anchors and word boundaries (treated as empty). Look-arounds,
 * back-references and Unicode property escapes are not supported: `parse`
 * throws `UnsupportedPattern` and the caller falls back to other strategies.
 *
 * Generated candidates are always re-checked against the real RegExp by the
 * caller, so an approximation here can cost a retry but never an invalid value.
 */

export class UnsupportedPattern extends Error {}

type Node =
  | { t: 'alt'; alts: Node[][] }
  | { t: 'set'; chars: number[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'empty' };

const PRINTABLE: number[] = [];
for (let c = 0x20; c <= 0x7e; c++) PRINTABLE.push(c);
const range = (a: string, b: string): number[] => {
  const out: number[] = [];
  for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) out.push(c);
  return out;
};
const DIGITS = range('0', '9');
const WORD = [...range('a', 'z'), ...range('A', 'Z'), ...DIGITS, 0x5f];
const SPACE = [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c];
const complement = (set: number[]): number[] => {
  const s = new Set(set);
  return PRINTABLE.filter((c) => !s.has(c));
};

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.src.length) throw new UnsupportedPattern(`unexpected ')' at ${this.i}`);
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alternation(): Node {
    const alts: Node[][] = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return { t: 'alt', alts };
  }

  private sequence(): Node[] {
    const seq: Node[] = [];
    while (this.i < this.src.length) {
      const c = this.peek();
      if (c === '|' || c === ')') break;
      const atom = this.atom();
      seq.push(this.quantified(atom));
    }
    return seq;
  }

  private quantified(atom: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') {
      min = 0;
      max = Infinity;
      this.i++;
    } else if (c === '+') {
      min = 1;
      max = Infinity;
      this.i++;
    } else if (c === '?') {
      min = 0;
      max = 1;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal '{' (non-unicode mode)
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length;
    } else {
      return atom;
    }
    if (this.peek() === '?') this.i++; // lazy
    if (atom.t === 'empty') return atom;
    return { t: 'rep', node: atom, min, max };
  }

  private atom(): Node {
    const c = this.src[this.i++];
    switch (c) {
      case '^':
      case '$':
        return { t: 'empty' };
      case '.':
        return { t: 'set', chars: PRINTABLE.filter((x) => x !== 0x0a) };
      case '(':
        return this.group();
      case '[':
        return this.charClass();
      case '\\':
        return this.escape(false) as Node;
      default:
        return { t: 'set', chars: [c.codePointAt(0) as number] };
    }
  }

  private group(): Node {
    if (this.peek() === '?') {
      const rest = this.src.slice(this.i, this.i + 3);
      if (rest.startsWith('?:')) this.i += 2;
      else if (rest.startsWith('?<') && rest[2] !== '=' && rest[2] !== '!') {
        const end = this.src.indexOf('>', this.i);
        if (end < 0) throw new UnsupportedPattern('bad group name');
        this.i = end + 1;
      } else throw new UnsupportedPattern('look-around assertions are not supported');
    }
    const node = this.alternation();
    if (this.src[this.i++] !== ')') throw new UnsupportedPattern('unterminated group');
    return node;
  }

  /** Parses an escape after the backslash. In a class, returns a set; outside, a node. */
  private escape(inClass: boolean): Node {
    const c = this.src[this.i++];
    if (c === undefined) throw new UnsupportedPattern('trailing backslash');
    switch (c) {
      case 'd':
        return { t: 'set', chars: DIGITS };
      case 'D':
        return { t: 'set', chars: complement(DIGITS) };
      case 'w':
        return { t: 'set', chars: WORD };
      case 'W':
        return { t: 'set', chars: complement(WORD) };
      case 's':
        return { t: 'set', chars: SPACE };
      case 'S':
        return { t: 'set', chars: complement(SPACE) };
      case 'b':
        return inClass ? { t: 'set', chars: [0x08] } : { t: 'empty' };
      case 'B':
        return { t: 'empty' };
      case 'n':
        return { t: 'set', chars: [0x0a] };
      case 'r':
        return { t: 'set', chars: [0x0d] };
      case 't':
        return { t: 'set', chars: [0x09] };
      case 'f':
        return { t: 'set', chars: [0x0c] };
      case 'v':
        return { t: 'set', chars: [0x0b] };
      case '0':
        return { t: 'set', chars: [0] };
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.i));
        if (!m) return { t: 'set', chars: [0x78] };
        this.i += 2;
        return { t: 'set', chars: [parseInt(m[0], 16)] };
      }
      case 'u': {
        const braced = /^\{([0-9a-fA-F]+)\}/.exec(this.src.slice(this.i));
        if (braced) {
          this.i += braced[0].length;
          return { t: 'set', chars: [parseInt(braced[1], 16)] };
        }
        const m = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.i));
        if (!m) return { t: 'set', chars: [0x75] };
        this.i += 4;
        return { t: 'set', chars: [parseInt(m[0], 16)] };
      }
      case 'c': {
        const l = this.src[this.i++];
        if (!l) throw new UnsupportedPattern('bad control escape');
        return { t: 'set', chars: [l.toUpperCase().charCodeAt(0) % 32] };
      }
      case 'p':
      case 'P':
      case 'k':
        throw new UnsupportedPattern(`\\${c} escapes are not supported`);
      default:
        if (/[1-9]/.test(c)) throw new UnsupportedPattern('back-references are not supported');
        return { t: 'set', chars: [c.codePointAt(0) as number] };
    }
  }

  private charClass(): Node {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const chars: number[] = [];
    let first = true;
    while (true) {
      const c = this.src[this.i];
      if (c === undefined) throw new UnsupportedPattern('unterminated character class');
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      if (c === ']' && first) {
        // `[]` matches nothing, `[^]` matches anything.
        this.i++;
        if (negated) return { t: 'set', chars: PRINTABLE };
        throw new UnsupportedPattern('empty character class');
      }
      first = false;
      const lo = this.classAtom();
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined && lo.length === 1) {
        this.i++;
        const hi = this.classAtom();
        if (hi.length !== 1 || hi[0] < lo[0]) throw new UnsupportedPattern('bad class range');
        for (let x = lo[0]; x <= hi[0]; x++) chars.push(x);
      } else {
        chars.push(...lo);
      }
    }
    const uniq = [...new Set(chars)];
    return { t: 'set', chars: negated ? complement(uniq) : uniq };
  }

  private classAtom(): number[] {
    const c = this.src[this.i++];
    if (c === '\\') {
      const n = this.escape(true);
      return n.t === 'set' ? n.chars : [];
    }
    return [c.codePointAt(0) as number];
  }
}

const astCache = new Map<string, Node | UnsupportedPattern>();

function parsePattern(pattern: string): Node {
  let n = astCache.get(pattern);
  if (n === undefined) {
    try {
      n = new Parser(pattern).parse();
    } catch (e) {
      n = e instanceof UnsupportedPattern ? e : new UnsupportedPattern(String(e));
    }
    astCache.set(pattern, n);
  }
  if (n instanceof UnsupportedPattern) throw n;
  return n;
}

/** Prefer letters and digits for "minimal" (static) picks, for readable samples. */
function preferred(chars: number[]): number {
  for (const c of chars) {
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a)) return c;
  }
  return chars[0];
}

export interface PatternGenOptions {
  /** null → minimal deterministic choices (fewest repetitions, first alternative). */
  random: (() => number) | null;
  /** Upper bound for the extra repetitions of unbounded quantifiers. */
  extra: number;
}

/** Generate one candidate string for `pattern`. Throws UnsupportedPattern. */
export function samplePattern(pattern: string, opts: PatternGenOptions): string {
  const ast = parsePattern(pattern);
  const out: string[] = [];
  emit(ast, opts, out);
  return out.join('');
}

function emit(node: Node, opts: PatternGenOptions, out: string[]): void {
  const rnd = opts.random;
  switch (node.t) {
    case 'empty':
      return;
    case 'set': {
      if (node.chars.length === 0) throw new UnsupportedPattern('empty character set');
      const c = rnd ? node.chars[Math.floor(rnd() * node.chars.length)] : preferred(node.chars);
      out.push(String.fromCodePoint(c));
      return;
    }
    case 'alt': {
      const seq = rnd ? node.alts[Math.floor(rnd() * node.alts.length)] : node.alts[0];
      for (const n of seq) emit(n, opts, out);
      return;
    }
    case 'rep': {
      const hi = Math.min(node.max, node.min + opts.extra);
      const count = rnd ? node.min + Math.floor(rnd() * (hi - node.min + 1)) : node.min;
      for (let k = 0; k < count; k++) emit(node.node, opts, out);
      return;
    }
  }
}

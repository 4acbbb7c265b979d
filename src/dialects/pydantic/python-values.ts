/**
 * FastAPI echoes the offending `input` with Python's `json.dumps`, and Python's values are
 * not JavaScript's: `1.0` stays a float (`1.0`, not `1`), integers keep every digit, and a
 * dict keeps its keys in arrival order (JavaScript moves integer-like keys first). This
 * module re-reads a body Python accepted into a tree that keeps those distinctions and
 * writes any part of it back as Python would, so an echoed `input` is byte for byte.
 */

type PyNode =
  /** `positions`: key → index into `entries`, so a member is found in constant time. */
  | { kind: 'object'; entries: Array<[string, PyNode]>; positions: Map<string, number> }
  | { kind: 'array'; items: PyNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'int'; lexeme: string }
  | { kind: 'float'; value: number }
  | { kind: 'literal'; value: true | false | null };

/**
 * A piece of JSON text to be written as is, in place of a value (see {@link stringifyWithRaw}).
 * While `stringifyWithRaw` runs, JSON.stringify asks each for its `toJSON`: a marker that is
 * swapped for the text afterwards (a replacer function would be called for every value and
 * cost JSON.stringify its fast path: ~10 ms on an answer listing 8,000 errors).
 */
export class RawJson {
  constructor(readonly json: string) {}

  toJSON(): unknown {
    if (!writing) return this;
    writing.raws.push(this.json);
    return `${writing.marker}${writing.raws.length - 1}`;
  }
}

/** The stringifyWithRaw call in progress (JSON.stringify is synchronous: one at a time). */
let writing: { marker: string; raws: string[] } | undefined;

const TRUE: PyNode = { kind: 'literal', value: true };
const FALSE: PyNode = { kind: 'literal', value: false };
const NULL: PyNode = { kind: 'literal', value: null };
const NAN: PyNode = { kind: 'float', value: NaN };
const INFINITY: PyNode = { kind: 'float', value: Infinity };
const MINUS_INFINITY: PyNode = { kind: 'float', value: -Infinity };
/** Sticky: matched where the reader stands, without copying the rest of the text. */
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

/**
 * Reads text that Python's `json.loads` accepted. Returns undefined on anything else. One
 * pass, constant work per character: error bodies echo inputs of up to the body limit.
 */
export function readPythonTree(text: string): PyNode | undefined {
  const length = text.length;
  let i = 0;
  const ws = () => {
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++i);
  };
  const string = (): string => {
    const start = i++;
    let escaped = false;
    for (let c = text.charCodeAt(i); c !== 0x22; c = text.charCodeAt(i)) {
      if (i >= length) throw new Error('not Python JSON');
      if (c === 0x5c) {
        escaped = true;
        i += 2;
      } else i++;
    }
    i++;
    // Without a backslash the characters between the quotes are the string itself.
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
  };
  const literal = (word: string, node: PyNode): PyNode => {
    if (!text.startsWith(word, i)) throw new Error('not Python JSON');
    i += word.length;
    return node;
  };
  const value = (): PyNode => {
    ws();
    switch (text.charCodeAt(i)) {
      case 0x7b: {
        i++;
        const positions = new Map<string, number>();
        const entries: Array<[string, PyNode]> = [];
        ws();
        if (text.charCodeAt(i) === 0x7d) {
          i++;
          return { kind: 'object', entries, positions };
        }
        for (;;) {
          ws();
          const key = string();
          ws();
          i++; // ':'
          const member = value();
          // A repeated key keeps its first position and takes the last value, as a dict does.
          const at = positions.get(key);
          if (at === undefined) {
            positions.set(key, entries.length);
            entries.push([key, member]);
          } else entries[at] = [key, member];
          ws();
          if (text.charCodeAt(i++) === 0x7d) return { kind: 'object', entries, positions };
        }
      }
      case 0x5b: {
        i++;
        const items: PyNode[] = [];
        ws();
        if (text.charCodeAt(i) === 0x5d) {
          i++;
          return { kind: 'array', items };
        }
        for (;;) {
          items.push(value());
          ws();
          if (text.charCodeAt(i++) === 0x5d) return { kind: 'array', items };
        }
      }
      case 0x22:
        return { kind: 'string', value: string() };
      case 0x74:
        return literal('true', TRUE);
      case 0x66:
        return literal('false', FALSE);
      case 0x6e:
        return literal('null', NULL);
      case 0x4e:
        return literal('NaN', NAN);
      case 0x49:
        return literal('Infinity', INFINITY);
    }
    if (text.startsWith('-Infinity', i)) return literal('-Infinity', MINUS_INFINITY);
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (!number) throw new Error('not Python JSON');
    i += number[0].length;
    return number[1] !== undefined || number[2] !== undefined ? { kind: 'float', value: Number(number[0]) } : { kind: 'int', lexeme: number[0] };
  };
  try {
    return value();
  } catch {
    return undefined;
  }
}

/** Python's `repr(float)`: shortest round-trip digits, positional for 1e-4 <= |x| < 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, exponent] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decimalPoint = Number(exponent) + 1;
  if (decimalPoint > -4 && decimalPoint <= 16) {
    if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
    if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}.0`;
    return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
  }
  const e = decimalPoint - 1;
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${head}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** `json.dumps(node, ensure_ascii=False, separators=(",", ":"))`, as Starlette's JSONResponse writes. */
function dumps(node: PyNode): string {
  switch (node.kind) {
    case 'object':
      return `{${node.entries.map(([key, value]) => `${JSON.stringify(key)}:${dumps(value)}`).join(',')}}`;
    case 'array':
      return `[${node.items.map(dumps).join(',')}]`;
    case 'string':
      return JSON.stringify(node.value);
    case 'int':
      return node.lexeme === '-0' ? '0' : node.lexeme;
    case 'float':
      // FastAPI would fail writing NaN/Infinity (allow_nan=False) and answer 500; refreshd writes null, as Pydantic's JSON mode does.
      return Number.isFinite(node.value) ? pythonFloatRepr(node.value) : 'null';
    case 'literal':
      return JSON.stringify(node.value);
  }
}

/** Whether JavaScript would write this node differently from Python. */
function differsInJavaScript(node: PyNode): boolean {
  switch (node.kind) {
    case 'object':
      return node.entries.some(([key]) => /^(?:0|[1-9]\d*)$/.test(key)) || node.entries.some(([, value]) => differsInJavaScript(value));
    case 'array':
      return node.items.some(differsInJavaScript);
    case 'int':
      return !Number.isSafeInteger(Number(node.lexeme));
    case 'float':
      return true;
    default:
      return false;
  }
}

function nodeAt(root: PyNode, path: Array<string | number>): PyNode | undefined {
  let node: PyNode | undefined = root;
  for (const step of path) {
    if (node?.kind === 'object') {
      const position = node.positions.get(String(step));
      node = position === undefined ? undefined : node.entries[position][1];
    }
    else if (node?.kind === 'array' && typeof step === 'number') node = node.items[step];
    else return undefined;
  }
  return node;
}

/**
 * Where each key of the object at `path` arrived (a dict's order: 0 for the first key), and
 * how many keys it has; undefined when there is no object there.
 */
export function pythonKeyPositions(root: PyNode, path: Array<string | number>): { positions: ReadonlyMap<string, number>; size: number } | undefined {
  const node = nodeAt(root, path);
  return node?.kind === 'object' ? { positions: node.positions, size: node.entries.length } : undefined;
}

/**
 * The Python rendering of the body part at `path` (`loc` without its leading "body"), or
 * undefined when JavaScript's own rendering of it is already the same.
 */
export function pythonInputAt(root: PyNode, path: Array<string | number>): RawJson | undefined {
  const node = nodeAt(root, path);
  return node && differsInJavaScript(node) ? new RawJson(dumps(node)) : undefined;
}

/** `JSON.stringify`, writing each {@link RawJson} as its text. */
export function stringifyWithRaw(value: unknown): string {
  const raws: string[] = [];
  const marker = `\u0000raw${Math.random().toString(36).slice(2)}:`;
  const outer = writing;
  writing = { marker, raws };
  let text: string;
  try {
    text = JSON.stringify(value);
  } finally {
    writing = outer;
  }
  if (raws.length === 0) return text;
  const escapedMarker = JSON.stringify(marker).slice(1, -1);
  return text.replace(new RegExp(`"${escapedMarker.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(\\d+)"`, 'g'), (_m, index: string) => raws[Number(index)]);
}

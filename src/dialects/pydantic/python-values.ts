/**
 * FastAPI echoes the offending `input` with Python's `json.dumps`, and Python's values are
 * not JavaScript's: `1.0` stays a float (`1.0`, not `1`), integers keep every digit, and a
 * dict keeps its keys in arrival order (JavaScript moves integer-like keys first). This
 * module re-reads a body Python accepted into a tree that keeps those distinctions and
 * writes any part of it back as Python would, so an echoed `input` is byte for byte.
 */

type PyNode =
  | { kind: 'object'; entries: Array<[string, PyNode]> }
  | { kind: 'array'; items: PyNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'int'; lexeme: string }
  | { kind: 'float'; value: number }
  | { kind: 'literal'; value: true | false | null };

/** A piece of JSON text to be written as is, in place of a value (see {@link stringifyWithRaw}). */
export class RawJson {
  constructor(readonly json: string) {}
}

/** Reads text that Python's `json.loads` accepted. Returns undefined on anything else. */
export function readPythonTree(text: string): PyNode | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (): PyNode => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const positions = new Map<string, number>();
      const entries: Array<[string, PyNode]> = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries };
      }
      for (;;) {
        ws();
        const key = (value() as { kind: 'string'; value: string }).value;
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
        if (text[i++] === '}') return { kind: 'object', entries };
      }
    }
    if (c === '[') {
      i++;
      const items: PyNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i++] === ']') return { kind: 'array', items };
      }
    }
    if (c === '"') {
      const start = i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      return { kind: 'string', value: JSON.parse(text.slice(start, i)) };
    }
    for (const [word, node] of [
      ['true', { kind: 'literal', value: true }],
      ['false', { kind: 'literal', value: false }],
      ['null', { kind: 'literal', value: null }],
      ['NaN', { kind: 'float', value: NaN }],
      ['Infinity', { kind: 'float', value: Infinity }],
      ['-Infinity', { kind: 'float', value: -Infinity }],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return node as PyNode;
      }
    }
    const number = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 5000));
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
    if (node?.kind === 'object') node = node.entries.find(([key]) => key === String(step))?.[1];
    else if (node?.kind === 'array' && typeof step === 'number') node = node.items[step];
    else return undefined;
  }
  return node;
}

/** The keys of the object at `path` in arrival order (a dict's order), or undefined. */
export function pythonKeyOrder(root: PyNode, path: Array<string | number>): string[] | undefined {
  const node = nodeAt(root, path);
  return node?.kind === 'object' ? node.entries.map(([key]) => key) : undefined;
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
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.json);
      return `${marker}${raws.length - 1}`;
    }
    return v;
  });
  if (raws.length === 0) return text;
  const escapedMarker = JSON.stringify(marker).slice(1, -1);
  return text.replace(new RegExp(`"${escapedMarker.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(\\d+)"`, 'g'), (_m, index: string) => raws[Number(index)]);
}

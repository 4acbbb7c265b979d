/**
 * What each benchmark request looks like, and how a refresh workload keeps every request real:
 * a pool of never-used refresh tokens. Each request takes one token out; each 200 puts the
 * rotated token back (from the cookie or the body field the api's declaration names), so the
 * family moves on and no token is ever presented twice. A connection's in-flight token at the
 * end of a run is lost to the pool, which is why the orchestrator tops it up before every run.
 */
import type { SessionSeed, WorkloadSpec } from './protocol';
import type { RefreshPlan, ReplyPlace, TextTemplate } from './refresh-plan';

export interface HttpCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface Workload {
  next(): HttpCall;
  onResponse(status: number, headers: ResponseHeaders, body: string): void;
  addSeeds(seeds: SessionSeed[]): void;
  /** How many requests can be sent right now without the pool running dry (Infinity for static workloads). */
  available(): number;
  /** Requests sent with a placeholder token because the pool was empty. */
  exhausted: number;
}

/** A JWT-sized opaque string for the requests whose token nobody checks (baseline, mocks). */
export const STATIC_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInN1YiI6ImxwdWEiLCJleHAiOjE3NjEyMDM5NzgsIm5iZiI6MTc0NTY1MTk3OCwic3RhdGVfaGFzaCI6Ikk1OCtSbmsrTHVpTkxBbjBqek9KNG45OUorV3hqL0pzbjJoRVYrUXBhelE9In0.Q2s75zxPVA3bzZyIIBau3TBvqSxIdzbiEmK1zCd-_zk';

/** Sent when the pool is empty: the server answers 401, which the run counts and reports. */
const EXHAUSTED_TOKEN = 'pool.exhausted.token';

function header(headers: ResponseHeaders, name: string): string[] {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return Array.isArray(value) ? value : [value];
  }
  return [];
}

function parseJson(body: string): any {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A FIFO of seeds; `shift` on a plain array is fine at these sizes (a few hundred). */
class TokenPool {
  private readonly seeds: SessionSeed[] = [];
  exhausted = 0;
  get size(): number {
    return this.seeds.length;
  }
  take(): SessionSeed {
    const seed = this.seeds.shift();
    if (seed) return seed;
    this.exhausted += 1;
    return { refreshToken: EXHAUSTED_TOKEN, accessToken: EXHAUSTED_TOKEN, sub: '00000000-0000-4000-8000-000000000000' };
  }
  give(seed: SessionSeed): void {
    this.seeds.push(seed);
  }
}

/**
 * Per-request text from a template: concatenation only, the encoding chosen once. The one- and
 * two-hole shapes (every api here) get closures of their own, as cheap as a hand-written template.
 */
function compileTemplate(template: TextTemplate): (seed: SessionSeed) => string {
  const { parts, holes, encoding } = template;
  if (encoding === 'raw') {
    if (holes.length === 0) return () => parts[0];
    if (holes.length === 1) {
      const [hole] = holes;
      const [before, after] = parts;
      return (seed) => before + seed[hole] + after;
    }
  }
  const encode = encoding === 'uri' ? encodeURIComponent : encoding === 'json' ? JSON.stringify : (value: string) => value;
  if (holes.length === 0) return () => parts[0];
  if (holes.length === 1) {
    const [hole] = holes;
    const [before, after] = parts;
    return (seed) => before + encode(seed[hole]) + after;
  }
  if (holes.length === 2) {
    const [first, second] = holes;
    const [before, between, after] = parts;
    return (seed) => before + encode(seed[first]) + between + encode(seed[second]) + after;
  }
  return (seed) => {
    let text = parts[0];
    for (let i = 0; i < holes.length; i += 1) text += encode(seed[holes[i]]) + parts[i + 1];
    return text;
  };
}

/** Builds a plan's request for a session: the closures are made once, each request only concatenates. */
export function compileRequest(plan: RefreshPlan): (seed: SessionSeed) => HttpCall {
  const target = compileTemplate(plan.target);
  const body = plan.body ? compileTemplate(plan.body) : undefined;
  const names = [...Object.keys(plan.headers), ...plan.sessionHeaders.map((header) => header.name)];
  const values = [...Object.values(plan.headers).map((value) => () => value), ...plan.sessionHeaders.map((header) => compileTemplate(header.value))];
  const { method } = plan;
  return (seed) => {
    // A new headers object per request: autocannon writes Content-Length into the one it is given.
    const headers: Record<string, string> = {};
    for (let i = 0; i < names.length; i += 1) headers[names[i]] = values[i](seed);
    return body ? { method, path: target(seed), headers, body: body(seed) } : { method, path: target(seed), headers };
  };
}

/** Reads one value from an answer: a cookie, or a string at a path of the parsed JSON body. */
function compileReader(place: ReplyPlace): (headers: ResponseHeaders, body: any) => string | undefined {
  if ('cookie' in place) {
    const prefix = `${place.cookie}=`;
    return (headers) => {
      for (const cookie of header(headers, 'set-cookie')) {
        if (!cookie.startsWith(prefix)) continue;
        const end = cookie.indexOf(';');
        return cookie.slice(prefix.length, end === -1 ? undefined : end);
      }
      return undefined;
    };
  }
  const keys = place.body;
  return (_headers, body) => {
    let node = body;
    for (let i = 0; i < keys.length; i += 1) node = node?.[keys[i]];
    return typeof node === 'string' ? node : undefined;
  };
}

/**
 * The refresh workload of a plan. A response callback sees only status, headers and body, not
 * the request it answers, so everything the next request of the family needs comes from the
 * response: the rotated refresh token, the new access token when the request carries it, and
 * the subject (from the rotated token's claims) when the request names it.
 */
function refreshWorkload(plan: RefreshPlan): Workload {
  const pool = new TokenPool();
  const request = compileRequest(plan);
  const readRefresh = compileReader(plan.reply.refreshToken);
  const readAccess = plan.reply.accessToken ? compileReader(plan.reply.accessToken) : undefined;
  const { status: okStatus, subjectFromToken } = plan.reply;
  const readsBody = 'body' in plan.reply.refreshToken || (plan.reply.accessToken !== undefined && 'body' in plan.reply.accessToken);
  return {
    get exhausted() {
      return pool.exhausted;
    },
    addSeeds(seeds) {
      for (const seed of seeds) pool.give(seed);
    },
    available: () => pool.size,
    next: () => request(pool.take()),
    onResponse(status, headers, body) {
      if (status !== okStatus) return;
      const json = readsBody ? parseJson(body) : undefined;
      const refreshToken = readRefresh(headers, json);
      if (refreshToken === undefined) return;
      const accessToken = readAccess ? readAccess(headers, json) : '';
      if (accessToken === undefined) return;
      const sub = subjectFromToken ? subjectOf(refreshToken) : '';
      if (sub === undefined) return;
      pool.give({ refreshToken, accessToken, sub });
    },
  };
}

/** The `sub` claim of a JWT, read without verifying (as a client that must name the subject does). */
function subjectOf(jwt: string): string | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  const claims = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
  return typeof claims?.sub === 'string' ? claims.sub : undefined;
}

/** The same request every time: the baseline routes and the mocks. */
function staticWorkload(call: HttpCall): Workload {
  return {
    exhausted: 0,
    addSeeds: () => undefined,
    available: () => Number.POSITIVE_INFINITY,
    next: () => ({ ...call, headers: { ...call.headers } }),
    onResponse: () => undefined,
  };
}

export function createWorkload(spec: WorkloadSpec): Workload {
  return spec.kind === 'static' ? staticWorkload(spec.call) : refreshWorkload(spec.plan);
}

/**
 * What each benchmark request looks like, and how a refresh workload keeps every request real:
 * a pool of never-used refresh tokens. Each request takes one token out; each 200 puts the
 * rotated token back (from Set-Cookie, `data.refresh_token` or `refresh_token`), so the family
 * moves on and no token is ever presented twice. A connection's in-flight token at the end of
 * a run is lost to the pool, which is why the orchestrator tops it up before every run.
 */
import type { SessionSeed, WorkloadKind } from './protocol';

export interface HttpCall {
  method: 'POST';
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

/** Refresh paths of the five apis (the documents' own). */
export const REFRESH_PATHS = {
  watchr: '/auth/refresh',
  galileo: '/v1/refresh_token',
  pathstack: '/refresh',
  almanac: '/v1/auth/token/refresh',
  session: '/session/token/refresh',
} as const;

export type RefreshApi = keyof typeof REFRESH_PATHS;

/** A JWT-sized opaque string for the requests whose token nobody checks (baseline, mocks). */
export const STATIC_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInN1YiI6ImxwdWEiLCJleHAiOjE3NjEyMDM5NzgsIm5iZiI6MTc0NTY1MTk3OCwic3RhdGVfaGFzaCI6Ikk1OCtSbmsrTHVpTkxBbjBqek9KNG45OUorV3hqL0pzbjJoRVYrUXBhelE9In0.Q2s75zxPVA3bzZyIIBau3TBvqSxIdzbiEmK1zCd-_zk';

/** Sent when the pool is empty: the server answers 401, which the run counts and reports. */
const EXHAUSTED_TOKEN = 'pool.exhausted.token';

/** A new object per request: autocannon writes Content-Length into the headers object it is given. */
const jsonHeaders = (): Record<string, string> => ({ 'content-type': 'application/json' });

function header(headers: ResponseHeaders, name: string): string[] {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return Array.isArray(value) ? value : [value];
  }
  return [];
}

function rotatedCookie(headers: ResponseHeaders): string | undefined {
  for (const cookie of header(headers, 'set-cookie')) {
    const match = /^refresh_token=([^;]*)/.exec(cookie);
    if (match) return match[1];
  }
  return undefined;
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
 * One refresh workload. A response callback sees only status, headers and body, not the request
 * it answers, so everything the next request of the family needs comes from the response: the
 * rotated refresh token, almanac's new access token, and pathstack's `sub` (read from the
 * rotated token's claims, as a pathstack client would).
 */
function refreshWorkload(api: RefreshApi): Workload {
  const pool = new TokenPool();
  const path = REFRESH_PATHS[api];
  const workload: Workload = {
    get exhausted() {
      return pool.exhausted;
    },
    addSeeds(seeds) {
      for (const seed of seeds) pool.give(seed);
    },
    available: () => pool.size,
    next(): HttpCall {
      const seed = pool.take();
      switch (api) {
        case 'watchr':
        case 'galileo':
          return { method: 'POST', path, headers: { cookie: `refresh_token=${seed.refreshToken}` } };
        case 'pathstack':
          return { method: 'POST', path, headers: jsonHeaders(), body: JSON.stringify({ sub: seed.sub, refresh_token: seed.refreshToken }) };
        case 'almanac':
          return {
            method: 'POST',
            path,
            headers: { ...jsonHeaders(), authorization: `Bearer ${seed.accessToken}` },
            body: JSON.stringify({ refresh_token: seed.refreshToken }),
          };
        case 'session':
          return { method: 'POST', path, headers: jsonHeaders(), body: JSON.stringify({ refresh_token: seed.refreshToken }) };
      }
    },
    onResponse(status, headers, body) {
      if (status !== 200) return;
      switch (api) {
        case 'watchr':
        case 'galileo': {
          const token = rotatedCookie(headers);
          if (token) pool.give({ refreshToken: token, accessToken: '', sub: '' });
          return;
        }
        case 'pathstack': {
          const parsed = parseJson(body);
          const token: unknown = parsed?.data?.refresh_token;
          if (typeof token !== 'string') return;
          const sub = subjectOf(token);
          if (sub) pool.give({ refreshToken: token, accessToken: '', sub });
          return;
        }
        case 'almanac': {
          const parsed = parseJson(body);
          if (typeof parsed?.refresh_token === 'string' && typeof parsed?.access_token === 'string') {
            pool.give({ refreshToken: parsed.refresh_token, accessToken: parsed.access_token, sub: '' });
          }
          return;
        }
        case 'session': {
          const token: unknown = parseJson(body)?.data?.refresh_token;
          if (typeof token === 'string') pool.give({ refreshToken: token, accessToken: '', sub: '' });
          return;
        }
      }
    },
  };
  return workload;
}

/** The `sub` claim of a JWT, read without verifying (the client side of pathstack does the same). */
function subjectOf(jwt: string): string | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  const claims = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
  return typeof claims?.sub === 'string' ? claims.sub : undefined;
}

/** The same request every time: the baseline route and the two mocks. */
function staticWorkload(call: HttpCall): Workload {
  return {
    exhausted: 0,
    addSeeds: () => undefined,
    available: () => Number.POSITIVE_INFINITY,
    next: () => ({ ...call, headers: { ...call.headers } }),
    onResponse: () => undefined,
  };
}

export function createWorkload(kind: WorkloadKind): Workload {
  switch (kind) {
    case 'baseline':
      return staticWorkload({ method: 'POST', path: '/refresh', headers: jsonHeaders(), body: JSON.stringify({ refresh_token: STATIC_TOKEN }) });
    case 'mock-session':
      return staticWorkload({ method: 'POST', path: REFRESH_PATHS.session, headers: jsonHeaders(), body: JSON.stringify({ refresh_token: STATIC_TOKEN }) });
    default:
      return refreshWorkload(kind);
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CheckName } from '../../src/contract/checks';
import type { PrintedRequest } from '../../src/contract/curl';
import { listenOn, type Listening } from './targets';

/**
 * Deliberately broken servers: each is a small node:http proxy in front of a correct server
 * (refreshd, or the sixth document's) that breaks exactly one thing of one api, and is
 * correct on everything else, auth and rotation included. The contract run must fail that api
 * on the check named for the fault, and nothing else, and print a minimal reproduction.
 */

export interface ProxiedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  cookies: Record<string, string>;
  body: string;
}

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

export interface Fault {
  name: string;
  /** The api (or --spec document, as the report names it) whose check must fail. */
  api: string;
  /** The check that must catch it. */
  check: CheckName;
  /** In front of the sixth document's server (checked with --spec), not refreshd. */
  sixth?: boolean;
  /** In front of refreshd serving the widgets fixture folder (a form body, an apiKey header). */
  widgets?: boolean;
  /** The generative phase finds it: the first failure reported is a shrunk one. */
  generated: boolean;
  /** What the reported (smallest) reproduction must look like. */
  reproduction: (request: PrintedRequest) => boolean;
  /** Answers in place of the upstream (undefined: forward). */
  before?(request: ProxiedRequest): ProxiedResponse | undefined;
  /** Changes the request before it is forwarded. */
  rewrite?(request: ProxiedRequest): ProxiedRequest;
  /** Alters the upstream's answer. */
  after?(request: ProxiedRequest, response: ProxiedResponse): ProxiedResponse;
}

const PATHS = {
  watchr: '/auth/refresh',
  galileo: '/v1/refresh_token',
  pathstack: '/refresh',
  almanac: '/v1/auth/token/refresh',
  session: '/session/token/refresh',
  sixth: '/v2/tokens/refresh',
} as const;

/** The key refreshd serving the widgets fixture is given (`--api-keys`), and the contract run too (`--api-key`). */
export const WIDGETS_API_KEY = 'widgets-key-of-the-contract-tests';
const WIDGETS_PATH = /^\/tenants\/[^/]+\/users\/[^/]+\/token$/;

/** A POST to the api's refresh path (not the probe, not an unsupported method, not the admin api). */
const refreshOf = (api: keyof typeof PATHS) => (request: ProxiedRequest) => request.method === 'POST' && request.path === PATHS[api];

const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}): ProxiedResponse => ({
  status,
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const withBody = (response: ProxiedResponse, edit: (body: any) => unknown): ProxiedResponse => ({
  ...response,
  body: JSON.stringify(edit(JSON.parse(response.body))),
});

const parsed = (text: string | undefined): any => {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
};

const isSuccess = (response: ProxiedResponse) => response.status >= 200 && response.status < 300;
const bodyOf = (request: PrintedRequest) => parsed(request.body);
const keysOf = (request: PrintedRequest) => Object.keys(bodyOf(request) ?? {}).sort();

/** A proxy that answers a replayed, already used refresh token with its first answer (after the grace window too). */
function replaysUsedTokens(api: keyof typeof PATHS, tokenOf: (request: ProxiedRequest) => string | undefined): Pick<Fault, 'after'> {
  const accepted = new Map<string, ProxiedResponse>();
  return {
    after: (request, response) => {
      const token = tokenOf(request);
      if (!refreshOf(api)(request) || !token) return response;
      if (isSuccess(response) && !accepted.has(token)) accepted.set(token, response);
      return response.status === 401 ? accepted.get(token) ?? response : response;
    },
  };
}

/** The last Bearer credential almanac accepted: a proxy that ignores auth refreshes with it. */
let almanacBearer: string | undefined;

export const FAULTS: Fault[] = [
  {
    name: 'a 5xx on bad input (galileo crashes without its cookie)',
    api: 'galileo',
    check: 'not_a_server_error',
    generated: true,
    reproduction: (request) => request.method === 'POST' && request.headers.cookie === undefined,
    before: (request) => (refreshOf('galileo')(request) && !request.cookies.refresh_token ? json(500, { detail: 'Internal Server Error' }) : undefined),
  },
  {
    name: "a 500 only when watchr's optional cookie is absent",
    api: 'watchr',
    check: 'not_a_server_error',
    generated: true,
    reproduction: (request) => request.method === 'POST' && request.headers.cookie === undefined && request.body === undefined,
    before: (request) => (refreshOf('watchr')(request) && !('refresh_token' in request.cookies) ? json(500, { detail: 'Internal Server Error' }) : undefined),
  },
  {
    name: 'an undeclared status (watchr answers a refresh with 201)',
    api: 'watchr',
    check: 'status_code_conformance',
    generated: true,
    reproduction: (request) => /^refresh_token=<refresh token \d+>$/.test(request.headers.cookie ?? ''),
    after: (request, response) => (refreshOf('watchr')(request) && response.status === 200 ? { ...response, status: 201 } : response),
  },
  {
    name: 'a wrong body type (pathstack sends expires_in as a string)',
    api: 'pathstack',
    check: 'response_schema_conformance',
    generated: true,
    reproduction: (request) => request.headers['x-api-version'] === undefined && keysOf(request).join() === 'refresh_token,sub',
    after: (request, response) =>
      refreshOf('pathstack')(request) && response.status === 200
        ? withBody(response, (body) => ({ data: { ...body.data, expires_in: String(body.data.expires_in) } }))
        : response,
  },
  {
    name: 'a 200 that breaks its schema only when an optional parameter is sent (pathstack with x-api-version)',
    api: 'pathstack',
    check: 'response_schema_conformance',
    generated: true,
    reproduction: (request) => request.headers['x-api-version'] === '2024-03-27' && keysOf(request).join() === 'refresh_token,sub',
    after: (request, response) =>
      refreshOf('pathstack')(request) && request.headers['x-api-version'] !== undefined && response.status === 200
        ? withBody(response, ({ data: { access_token: _dropped, ...data } }) => ({ data }))
        : response,
  },
  {
    name: "pathstack's 422 in FastAPI's {\"detail\": [...]} instead of {\"error\": {...}}",
    api: 'pathstack',
    check: 'response_schema_conformance',
    generated: true,
    reproduction: (request) => request.method === 'POST',
    after: (request, response) =>
      refreshOf('pathstack')(request) && response.status === 422
        ? withBody(response, ({ error }) => ({ detail: [{ type: error.type, loc: error.loc, msg: error.msg, input: null }] }))
        : response,
  },
  {
    name: "session's validation errors in FastAPI's shape",
    api: 'session',
    check: 'response_schema_conformance',
    generated: true,
    reproduction: (request) => request.method === 'POST',
    after: (request, response) =>
      refreshOf('session')(request) && response.status === 422
        ? withBody(response, () => ({ detail: [{ type: 'missing', loc: ['body', 'refresh_token'], msg: 'Field required', input: {} }] }))
        : response,
  },
  {
    name: 'a missing required field in the envelope (session success without code)',
    api: 'session',
    check: 'response_schema_conformance',
    generated: true,
    reproduction: (request) => keysOf(request).join() === 'refresh_token',
    after: (request, response) => (refreshOf('session')(request) && response.status === 200 ? withBody(response, ({ code: _code, ...rest }) => rest) : response),
  },
  {
    name: 'ignored auth (almanac refreshes without a Bearer credential)',
    api: 'almanac',
    check: 'ignored_auth',
    generated: false,
    reproduction: (request) => !/^Bearer /.test(request.headers.authorization ?? ''),
    // Without a Bearer, the request goes on with the last one that worked: auth ignored, all else right.
    rewrite: (request) =>
      refreshOf('almanac')(request) && !/^bearer \S/i.test(request.headers.authorization ?? '') && almanacBearer
        ? { ...request, headers: { ...request.headers, authorization: almanacBearer } }
        : request,
    after: (request, response) => {
      if (refreshOf('almanac')(request) && isSuccess(response)) almanacBearer = `Bearer ${parsed(response.body)?.access_token}`;
      return response;
    },
  },
  {
    name: "an undeclared content type (galileo's 401 as text/plain)",
    api: 'galileo',
    check: 'content_type_conformance',
    generated: false,
    reproduction: (request) => request.method === 'POST',
    after: (request, response) =>
      refreshOf('galileo')(request) && response.status === 401 ? { ...response, headers: { ...response.headers, 'content-type': 'text/plain; charset=utf-8' } } : response,
  },
  {
    name: 'valid input rejected (pathstack refuses every refresh)',
    api: 'pathstack',
    check: 'positive_data_acceptance',
    generated: false,
    reproduction: (request) => keysOf(request).join() === 'refresh_token,sub',
    after: (request, response) =>
      refreshOf('pathstack')(request) && isSuccess(response) ? json(401, { error: { code: 401, message: 'Invalid Refresh Token' } }) : response,
  },
  {
    name: 'the rotated cookie without HttpOnly and Path (galileo)',
    api: 'galileo',
    check: 'response_headers_conformance',
    generated: true,
    reproduction: (request) => /^refresh_token=<refresh token \d+>$/.test(request.headers.cookie ?? ''),
    after: (request, response) => {
      const cookies = response.headers['set-cookie'];
      if (!refreshOf('galileo')(request) || !cookies) return response;
      const stripped = ([] as string[]).concat(cookies).map((line) => line.replace(/; HttpOnly/i, '').replace(/; Path=[^;]*/i, ''));
      return { ...response, headers: { ...response.headers, 'set-cookie': stripped } };
    },
  },
  {
    name: 'a 401 without WWW-Authenticate (almanac)',
    api: 'almanac',
    check: 'response_headers_conformance',
    generated: false,
    // Missing, not Bearer, or forged: anything but a Bearer credential the server issued.
    reproduction: (request) => !/^Bearer <access token \d+>$/.test(request.headers.authorization ?? ''),
    after: (request, response) => {
      if (!refreshOf('almanac')(request) || response.status !== 401) return response;
      const { 'www-authenticate': _challenge, ...headers } = response.headers;
      return { ...response, headers };
    },
  },
  {
    name: 'a 200 for an extra field (almanac drops what its schema forbids instead of refusing it)',
    api: 'almanac',
    check: 'negative_data_rejection',
    generated: true,
    reproduction: (request) => keysOf(request).filter((key) => key !== 'refresh_token' && key !== 'organization_id').length === 1 && keysOf(request).length === 2,
    rewrite: (request) => {
      const body = parsed(request.body);
      if (!refreshOf('almanac')(request) || !body || typeof body !== 'object' || Array.isArray(body)) return request;
      const declared = Object.fromEntries(Object.entries(body).filter(([key]) => key === 'refresh_token' || key === 'organization_id'));
      return { ...request, body: JSON.stringify(declared) };
    },
  },
  {
    name: '200 for GET where only POST is declared (galileo)',
    api: 'galileo',
    check: 'unsupported_method',
    generated: false,
    reproduction: (request) => request.method === 'GET' && request.body === undefined,
    before: (request) => (request.method === 'GET' && request.path === PATHS.galileo ? json(200, { access_token: 'not-a-token', token_type: 'bearer' }) : undefined),
  },
  {
    name: 'a replaced refresh token still accepted after the grace window (watchr replays its first answer)',
    api: 'watchr',
    check: 'rotation',
    generated: false,
    reproduction: (request) => /^refresh_token=<refresh token \d+>$/.test(request.headers.cookie ?? ''),
    ...replaysUsedTokens('watchr', (request) => request.cookies.refresh_token),
  },
  {
    name: 'a replaced refresh token still accepted after the grace window (session)',
    api: 'session',
    check: 'rotation',
    generated: false,
    reproduction: (request) => /^<refresh token \d+>$/.test(bodyOf(request)?.refresh_token),
    ...replaysUsedTokens('session', (request) => parsed(request.body)?.refresh_token),
  },
  {
    name: 'a required header ignored (the sixth document answers without x-tenant)',
    api: 'sixth.yaml',
    check: 'missing_required_header',
    sixth: true,
    generated: false,
    reproduction: (request) => request.headers['x-tenant'] === undefined,
    rewrite: (request) =>
      refreshOf('sixth')(request) && request.headers['x-tenant'] === undefined ? { ...request, headers: { ...request.headers, 'x-tenant': '1' } } : request,
  },
  {
    name: 'an API key ignored (widgets refreshes with its X-Widget-Key missing or wrong)',
    api: 'widgets',
    check: 'ignored_auth',
    widgets: true,
    generated: false,
    reproduction: (request) => request.method === 'POST' && request.headers['x-widget-key'] !== '<widgets API key given>',
    rewrite: (request) =>
      request.method === 'POST' && WIDGETS_PATH.test(request.path) && request.headers['x-widget-key'] !== WIDGETS_API_KEY
        ? { ...request, headers: { ...request.headers, 'x-widget-key': WIDGETS_API_KEY } }
        : request,
  },
];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return cookies;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

async function forward(upstream: string, request: ProxiedRequest, url: string): Promise<ProxiedResponse> {
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
  const response = await fetch(`${upstream}${url}`, {
    method: request.method,
    headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
    redirect: 'manual',
  });
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && name !== 'set-cookie') out[name] = value;
  });
  const setCookies = response.headers.getSetCookie();
  if (setCookies.length > 0) out['set-cookie'] = setCookies;
  return { status: response.status, headers: out, body: await response.text() };
}

/** Serves the server at `upstream` with `fault` applied. */
export function startBrokenServer(upstream: string, fault: Fault): Promise<Listening> {
  return listenOn((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = ([] as string[]).concat(value).join(', ');
      let request: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0],
        headers,
        cookies: parseCookies(headers.cookie),
        body: await readBody(req),
      };
      let response = fault.before?.(request);
      if (!response) {
        if (fault.rewrite) request = fault.rewrite(request);
        response = await forward(upstream, request, req.url ?? '/');
      }
      if (fault.after) response = fault.after(request, response);
      res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
      res.end(response.body);
    })().catch((error: Error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy failed: ${error.message}`);
    });
  });
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiName } from '../../src/apis';
import type { CheckName } from '../../src/contract/checks';
import { listenOn, type Listening } from './targets';

/**
 * Deliberately broken servers: each is a small node:http proxy in front of a correct
 * refreshd that breaks exactly one thing of one api, so the contract run must fail that
 * api on the check named for the fault, and nothing else.
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
  api: ApiName;
  /** The check that must catch it. */
  check: CheckName;
  /** Answers in place of refreshd (undefined: forward). */
  before?(request: ProxiedRequest): ProxiedResponse | undefined;
  /** Alters refreshd's answer. */
  after?(request: ProxiedRequest, response: ProxiedResponse): ProxiedResponse;
}

const PATHS: Record<ApiName, string> = {
  watchr: '/auth/refresh',
  galileo: '/v1/refresh_token',
  pathstack: '/refresh',
  almanac: '/v1/auth/token/refresh',
  session: '/session/token/refresh',
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}): ProxiedResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const withBody = (response: ProxiedResponse, edit: (body: any) => unknown): ProxiedResponse => ({
  ...response,
  body: JSON.stringify(edit(JSON.parse(response.body))),
});

const isSuccess = (response: ProxiedResponse) => response.status >= 200 && response.status < 300;

/** Refresh responses a watchr proxy has seen accepted, by the refresh token sent. */
const acceptedWatchrRefreshes = new Map<string, ProxiedResponse>();

export const FAULTS: Fault[] = [
  {
    name: 'a 5xx on bad input (galileo crashes without its cookie)',
    api: 'galileo',
    check: 'not_a_server_error',
    before: (request) =>
      request.path === PATHS.galileo && !request.cookies.refresh_token ? json(500, { detail: 'Internal Server Error' }) : undefined,
  },
  {
    name: 'an undeclared status (watchr answers a refresh with 201)',
    api: 'watchr',
    check: 'status_code_conformance',
    after: (request, response) => (request.path === PATHS.watchr && response.status === 200 ? { ...response, status: 201 } : response),
  },
  {
    name: 'a wrong body type (pathstack sends expires_in as a string)',
    api: 'pathstack',
    check: 'response_schema_conformance',
    after: (request, response) =>
      request.path === PATHS.pathstack && response.status === 200
        ? withBody(response, (body) => ({ data: { ...body.data, expires_in: String(body.data.expires_in) } }))
        : response,
  },
  {
    name: "a wrong error dialect (session's validation errors in FastAPI's shape)",
    api: 'session',
    check: 'negative_data_rejection',
    after: (request, response) =>
      request.path === PATHS.session && response.status === 422
        ? json(422, { detail: [{ type: 'missing', loc: ['body', 'refresh_token'], msg: 'Field required', input: {} }] })
        : response,
  },
  {
    name: 'ignored auth (almanac refreshes without a Bearer credential)',
    api: 'almanac',
    check: 'ignored_auth',
    before: (request) =>
      request.path === PATHS.almanac && !/^bearer \S/i.test(request.headers.authorization ?? '')
        ? json(200, { access_token: 'issued-without-auth', refresh_token: 'issued-without-auth', organization_id: null })
        : undefined,
  },
  {
    name: 'a missing required field in the envelope (session success without code)',
    api: 'session',
    check: 'response_schema_conformance',
    after: (request, response) =>
      request.path === PATHS.session && response.status === 200
        ? withBody(response, ({ code: _code, ...rest }) => rest)
        : response,
  },
  {
    name: "an undeclared content type (galileo's 401 as text/plain)",
    api: 'galileo',
    check: 'content_type_conformance',
    after: (request, response) =>
      request.path === PATHS.galileo && response.status === 401
        ? { ...response, headers: { ...response.headers, 'content-type': 'text/plain; charset=utf-8' } }
        : response,
  },
  {
    name: 'valid input rejected (pathstack refuses every refresh)',
    api: 'pathstack',
    check: 'positive_data_acceptance',
    after: (request, response) =>
      request.path === PATHS.pathstack && isSuccess(response) ? json(401, { error: { code: 401, message: 'Invalid Refresh Token' } }) : response,
  },
  {
    name: 'a replaced refresh token still accepted (watchr replays its first answer)',
    api: 'watchr',
    check: 'rotation',
    after: (request, response) => {
      const token = request.cookies.refresh_token;
      if (request.path !== PATHS.watchr || !token) return response;
      if (isSuccess(response)) acceptedWatchrRefreshes.set(token, response);
      return response.status === 401 ? acceptedWatchrRefreshes.get(token) ?? response : response;
    },
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

/** Serves refreshd at `upstream` with `fault` applied. */
export function startBrokenServer(upstream: string, fault: Fault): Promise<Listening> {
  return listenOn((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = ([] as string[]).concat(value).join(', ');
      const request: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0],
        headers,
        cookies: parseCookies(headers.cookie),
        body: await readBody(req),
      };
      let response = fault.before?.(request) ?? (await forward(upstream, request, req.url ?? '/'));
      if (fault.after) response = fault.after(request, response);
      res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
      res.end(response.body);
    })().catch((error: Error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy failed: ${error.message}`);
    });
  });
}

/**
 * Human-readable API docs.
 *
 *   GET /docs                      index of every API and its operations
 *   GET /docs/<api>                Swagger UI rendering `<api>`'s document (fetched from its specUrl)
 *   GET /docs/assets/<v>/<file>    Swagger UI assets (from the `swagger-ui-dist` package) + our init script
 *
 * Everything is served from this process: no CDN, no inline script or style, so every docs
 * response carries a strict `Content-Security-Policy` (`default-src 'self'`, plus `data:` images
 * because swagger-ui.css embeds its icons as data: SVGs). Swagger UI's online validator badge is
 * disabled (`validatorUrl: null`), so rendering a page makes no request beyond this origin.
 *
 * Assets live under a versioned path (`<v>` = hash of the swagger-ui-dist version and our own
 * assets), so they are cached as `immutable` for a year; the HTML pages are `no-cache`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';

export interface DocsOperation {
  readonly method: string;
  readonly path: string;
  readonly operationId: string;
  readonly summary?: string;
  /** Names of its cookie parameters: "Try it out" sends them as path-scoped cookies (see the page's note). */
  readonly cookieParameters?: readonly string[];
}

export interface DocsApi {
  /** URL segment: `/docs/<name>`. */
  readonly name: string;
  /** The document's own `info.title`, as published (may be empty). */
  readonly title: string;
  /** The document's `info.version`. */
  readonly version?: string;
  /** URL of the (merged) OpenAPI document as JSON, fetched by the browser, e.g. `/openapi/watchr.json`. */
  readonly specUrl: string;
  readonly operations: ReadonlyArray<DocsOperation>;
}

export const DOCS_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_FOUND = { detail: 'Not Found' } as const;
const API_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const RESERVED_NAMES = new Set(['assets']);

/** Escapes text for use in HTML element content and (double- or single-quoted) attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#39;';
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Assets

/**
 * Runs in the browser. Reads the document URL from `data-spec-url`; no inline script needed.
 *
 * - A page cannot set a `Cookie` header (browsers drop it from fetch), so cookie parameters
 *   never reached the server from "Try it out". For a request to this origin, the request
 *   interceptor stores each cookie parameter as a cookie scoped to the request's path (so no
 *   other path ever sees it, and it lasts only for the browser session); the browser then
 *   sends it. The header is left in place, so the curl line still shows it.
 * - Swagger UI lists an operation under each of its tags; here each appears once, under its
 *   first tag (session's operation carries two).
 */
const INIT_SCRIPT = `(function () {
  'use strict';
  var el = document.getElementById('swagger-ui');
  if (!el) return;
  var specUrl = el.getAttribute('data-spec-url');
  if (!specUrl) return;

  function sendCookieParameters(req) {
    var header = req.headers && (req.headers.Cookie || req.headers.cookie);
    if (!header) return req;
    var url = new URL(req.url, window.location.href);
    if (url.origin !== window.location.origin) return req;
    header.split(';').forEach(function (pair) {
      var cookie = pair.trim();
      if (cookie.indexOf('=') > 0) document.cookie = cookie + '; path=' + url.pathname + '; SameSite=Strict';
    });
    return req;
  }

  function operationKey(op) {
    return op.get('method') + ' ' + op.get('path');
  }

  var OncePerOperation = function () {
    return {
      statePlugins: {
        spec: {
          wrapSelectors: {
            taggedOperations: function (original) {
              return function () {
                var seen = {};
                return original.apply(null, arguments)
                  .map(function (tag) {
                    return tag.update('operations', function (ops) {
                      return ops.filter(function (op) {
                        var key = operationKey(op);
                        if (seen[key]) return false;
                        seen[key] = true;
                        return true;
                      });
                    });
                  })
                  .filter(function (tag) { return tag.get('operations').size > 0; });
              };
            }
          }
        }
      }
    };
  };

  SwaggerUIBundle({
    domNode: el,
    url: specUrl,
    validatorUrl: null,
    queryConfigEnabled: false,
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    docExpansion: 'list',
    requestInterceptor: sendCookieParameters,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl, OncePerOperation],
    layout: 'BaseLayout'
  });
})();
`;

const DOCS_CSS = `body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #3b4151; }
.docs-nav { padding: 10px 20px; background: #1b1b1b; }
.docs-nav a { color: #fff; text-decoration: none; font-weight: 600; }
.docs-nav a:hover { text-decoration: underline; }
.docs-index { max-width: 960px; margin: 0 auto; padding: 20px; }
.docs-index h1 { font-size: 1.8em; }
.docs-api { border: 1px solid #d8dde7; border-radius: 4px; padding: 12px 16px; margin: 16px 0; }
.docs-api h2 { margin: 0 0 4px; font-size: 1.3em; }
.docs-api .docs-api-title { color: #6b7280; margin: 0 0 8px; }
.docs-api .docs-api-spec { font-size: 0.9em; }
.docs-ops { list-style: none; padding: 0; margin: 8px 0; }
.docs-ops li { padding: 2px 0; }
.docs-op-method { font-weight: 700; }
.docs-op-summary { color: #6b7280; }
.docs-noscript { padding: 20px; }
.docs-nav .docs-nav-api { color: #fff; margin-left: 16px; }
.docs-nav .docs-nav-title { color: #c4c9d4; margin-left: 8px; }
.docs-try { max-width: 1420px; margin: 12px auto 0; padding: 0 20px; font-size: 0.95em; }
.docs-try p { margin: 4px 0; }
`;

interface Asset {
  readonly send: (res: Response, next: NextFunction) => void;
}

function buildAssets(): { version: string; assets: ReadonlyMap<string, Asset> } {
  const distDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const distVersion = (JSON.parse(fs.readFileSync(path.join(distDir, 'package.json'), 'utf8')) as { version?: unknown })
    .version;
  const version = createHash('sha256')
    .update(`swagger-ui-dist@${String(distVersion)}\0${INIT_SCRIPT}\0${DOCS_CSS}`)
    .digest('hex')
    .slice(0, 12);

  const assets = new Map<string, Asset>();
  // Only these files are exposed: not the package's index.html / swagger-initializer.js (petstore demo).
  for (const file of [
    'swagger-ui-bundle.js',
    'swagger-ui.css',
    'swagger-ui.css.map',
    'favicon-16x16.png',
    'favicon-32x32.png',
  ]) {
    const absolute = path.join(distDir, file);
    assets.set(file, {
      send: (res, next) => {
        res.sendFile(absolute, { maxAge: '365d', immutable: true, dotfiles: 'deny' }, (err) => {
          if (err && !res.headersSent) next(err);
        });
      },
    });
  }
  const inMemory = (type: string, body: string): Asset => ({
    send: (res) => {
      res.set('Cache-Control', 'public, max-age=31536000, immutable').type(type).send(body);
    },
  });
  assets.set('docs-init.js', inMemory('text/javascript', INIT_SCRIPT));
  assets.set('docs.css', inMemory('text/css', DOCS_CSS));
  return { version, assets };
}

// ---------------------------------------------------------------------------------------------
// Pages

function setPageHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': DOCS_CSP,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  });
}

function notFound(res: Response): void {
  res.set('Cache-Control', 'no-store').status(404).json(NOT_FOUND);
}

function layout(opts: { title: string; assetBase: string; head?: string; body: string }): string {
  const a = escapeHtml(opts.assetBase);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="icon" type="image/png" sizes="32x32" href="${a}/favicon-32x32.png">
<link rel="icon" type="image/png" sizes="16x16" href="${a}/favicon-16x16.png">
${opts.head ?? ''}<link rel="stylesheet" href="${a}/docs.css">
</head>
<body>
${opts.body}
</body>
</html>
`;
}

/** The document's own title and version, as published: `“FastAPI” 0.1.0`, `(untitled) 1.0.0`. */
function documentTitle(api: DocsApi): string {
  const title = api.title.trim() === '' ? '(untitled)' : `“${api.title}”`;
  return api.version ? `${title} ${api.version}` : title;
}

function renderIndex(apis: ReadonlyArray<DocsApi>, docsBase: string, assetBase: string): string {
  const sections = apis
    .map((api) => {
      const ops = api.operations
        .map((op) => {
          const summary =
            op.summary !== undefined && op.summary !== ''
              ? ` <span class="docs-op-summary">(${escapeHtml(op.summary)})</span>`
              : '';
          return (
            `<li class="docs-op"><span class="docs-op-sig"><span class="docs-op-method">${escapeHtml(op.method.toUpperCase())}</span> ` +
            `<code class="docs-op-path">${escapeHtml(op.path)}</code> — ` +
            `<code class="docs-op-id">${escapeHtml(op.operationId)}</code></span>${summary}</li>`
          );
        })
        .join('\n');
      const href = `${docsBase}/${encodeURIComponent(api.name)}`;
      return `<section class="docs-api" data-api="${escapeHtml(api.name)}">
<h2><a class="docs-api-link" href="${escapeHtml(href)}">${escapeHtml(api.name)}</a></h2>
<p class="docs-api-title">Document: ${escapeHtml(documentTitle(api))}</p>
<ul class="docs-ops">
${ops}
</ul>
<p class="docs-api-spec"><a href="${escapeHtml(api.specUrl)}">OpenAPI document (JSON)</a></p>
</section>`;
    })
    .join('\n');
  return layout({
    title: 'refreshd API documentation',
    assetBase,
    body: `<main class="docs-index">
<h1>refreshd API documentation</h1>
${sections}
</main>`,
  });
}

/** What "Try it out" does on this page: where requests go, and how cookie parameters travel. */
function renderTryItOutNote(api: DocsApi): string {
  const lines = [
    '<p><strong>Try it out</strong> sends each request to this server: it is the first entry under <em>Servers</em>, ' +
      'before the hosts the document publishes (choosing one of those sends your token there).</p>',
  ];
  for (const op of api.operations) {
    for (const name of op.cookieParameters ?? []) {
      lines.push(
        `<p class="docs-try-cookie">The <code>${escapeHtml(name)}</code> cookie of <code>${escapeHtml(op.method.toUpperCase())} ${escapeHtml(op.path)}</code>: ` +
          'a page cannot set a Cookie header, so on Execute this page stores the value you typed as a cookie for that path on this ' +
          'origin only (for this browser session), and the browser sends it. The curl line shows it as a header. A successful ' +
          'refresh answers with the rotated token in the server\'s own HttpOnly cookie, which the browser keeps and sends to that ' +
          'path from then on in place of what you type, as it would for a browser client: clear this site\'s cookies, or use a ' +
          'private window, to send another value.</p>',
      );
    }
  }
  return `<section class="docs-try">\n${lines.join('\n')}\n</section>`;
}

function renderApiPage(api: DocsApi, docsBase: string, assetBase: string): string {
  const a = escapeHtml(assetBase);
  return layout({
    title: `${api.name} — ${documentTitle(api)} — refreshd API documentation`,
    assetBase,
    head: `<link rel="stylesheet" href="${a}/swagger-ui.css">\n`,
    body: `<nav class="docs-nav"><a href="${escapeHtml(docsBase)}">← All APIs</a><span class="docs-nav-api">${escapeHtml(api.name)}</span><span class="docs-nav-title">document ${escapeHtml(documentTitle(api))}</span></nav>
${renderTryItOutNote(api)}
<noscript><p class="docs-noscript">This page needs JavaScript. The raw document is at <a href="${escapeHtml(api.specUrl)}">${escapeHtml(api.specUrl)}</a>.</p></noscript>
<div id="swagger-ui" data-api="${escapeHtml(api.name)}" data-spec-url="${escapeHtml(api.specUrl)}"></div>
<script src="${a}/swagger-ui-bundle.js"></script>
<script src="${a}/docs-init.js"></script>`,
  });
}

// ---------------------------------------------------------------------------------------------

export function createDocsRouter(apis: ReadonlyArray<DocsApi>): express.Router {
  const byName = new Map<string, DocsApi>();
  for (const api of apis) {
    if (!API_NAME.test(api.name) || RESERVED_NAMES.has(api.name)) {
      throw new Error(`createDocsRouter: invalid api name ${JSON.stringify(api.name)}`);
    }
    if (byName.has(api.name)) throw new Error(`createDocsRouter: duplicate api name ${JSON.stringify(api.name)}`);
    byName.set(api.name, api);
  }
  const { version, assets } = buildAssets();

  const router = express.Router();
  // `baseUrl` keeps links right if the router is ever mounted below a prefix.
  const docsBase = (req: Request): string => `${req.baseUrl}/docs`;
  const assetBase = (req: Request): string => `${docsBase(req)}/assets/${version}`;

  router.get('/docs', (req, res) => {
    setPageHeaders(res);
    res.type('html').send(renderIndex(apis, docsBase(req), assetBase(req)));
  });

  router.get('/docs/assets/:version/:file', (req, res, next) => {
    const asset = req.params.version === version ? assets.get(req.params.file) : undefined;
    if (asset === undefined) return notFound(res);
    res.set('X-Content-Type-Options', 'nosniff');
    asset.send(res, next);
  });

  router.get('/docs/:api', (req, res) => {
    const api = byName.get(req.params.api);
    if (api === undefined) return notFound(res);
    setPageHeaders(res);
    res.type('html').send(renderApiPage(api, docsBase(req), assetBase(req)));
  });

  return router;
}

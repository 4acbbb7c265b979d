/**
 * Browser test of the human docs (/docs, /docs/<api>) in Debian's Chromium, driven by playwright-core.
 *
 * Fails (does not skip) when /usr/bin/chromium is missing: CI installs it (`apt-get install chromium`).
 */
import { buildMockApp } from '../../src/app/mock-server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { createDocsRouter, DOCS_CSP } from '../../src/docs/router';
import { foreignRequests, launchChromium, newIsolatedPage } from './chromium';

const API_NAMES = ['watchr', 'galileo', 'pathstack', 'almanac', 'session'] as const;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type OpenApiDoc = {
  info?: { title?: string; version?: string };
  servers?: Array<{ url: string }>;
  paths?: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[] } | undefined>>;
};

/**
 * The app under test: refreshd's own app (mock mode: no store or keys needed), which mounts
 * the docs router and serves `/openapi/<api>.json`. The tests below take their expectations
 * from the documents the server serves.
 */
async function startDocsServer(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const { handler } = await buildMockApp();
  const server = createServer(handler).listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err?: Error) => (err ? reject(err) : resolve()));
      }),
  };
}

type ListedOperation = { method: string; path: string; operationId?: string; summary?: string; tags: string[] };

function listOperations(doc: OpenApiDoc): ListedOperation[] {
  const ops: ListedOperation[] = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op) ops.push({ method, path: p, operationId: op.operationId, summary: op.summary, tags: op.tags ?? [] });
    }
  }
  return ops;
}

const stripZeroWidth = (s: string): string => s.replace(/[\u200b\u200c\u200d\ufeff]/g, '').trim();

describe('docs in Chromium', () => {
  let server: { baseUrl: string; close: () => Promise<void> } | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    server = await startDocsServer();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const newPage = () => newIsolatedPage(browser!, server!.baseUrl);
  const expectOnlyLocal = (requests: string[]) => expect(foreignRequests(requests, server!.baseUrl)).toEqual([]);

  async function servedDoc(api: string): Promise<OpenApiDoc> {
    const res = await fetch(`${server!.baseUrl}/openapi/${api}.json`);
    expect(res.status).toBe(200);
    return (await res.json()) as OpenApiDoc;
  }

  test('GET /docs lists the five apis with their operations, linking to /docs/<api>', async () => {
    const { page, seen } = await newPage();
    try {
      const response = await page.goto(`${server!.baseUrl}/docs`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toBe(DOCS_CSP);

      const sections = page.locator('section.docs-api');
      await expect(sections.count()).resolves.toBe(API_NAMES.length);
      const listed = await sections.evaluateAll((els) => els.map((el) => el.getAttribute('data-api')));
      expect([...listed].sort()).toEqual([...API_NAMES].sort());

      for (const api of API_NAMES) {
        const section = page.locator(`section.docs-api[data-api="${api}"]`);
        await expect(section.locator('a.docs-api-link').getAttribute('href')).resolves.toBe(`/docs/${api}`);
        await expect(section.locator('a.docs-api-link').textContent()).resolves.toBe(api);
        const { info } = await servedDoc(api);
        const title = info?.title ? `“${info.title}”` : '(untitled)';
        await expect(section.locator('.docs-api-title').textContent()).resolves.toBe(`Document: ${title} ${info?.version}`);
        const sigs = (await section.locator('.docs-op-sig').allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
        const ops = listOperations(await servedDoc(api));
        expect(ops.length).toBeGreaterThan(0);
        expect(sigs).toHaveLength(ops.length);
        for (const op of ops) {
          const prefix = `${op.method.toUpperCase()} ${op.path} — `;
          const sig = sigs.find((s) => s.startsWith(prefix));
          expect(sig).toBeDefined();
          if (op.operationId !== undefined) expect(sig).toBe(`${prefix}${op.operationId}`);
        }
      }

      // The links work.
      await page.locator('section.docs-api[data-api="watchr"] a.docs-api-link').click();
      await page.waitForURL(`${server!.baseUrl}/docs/watchr`);

      expectOnlyLocal(seen.requests);
      expect(seen.errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  test.each(API_NAMES)('GET /docs/%s renders the document with Swagger UI, offline and error-free', async (api) => {
    const doc = await servedDoc(api);
    const ops = listOperations(doc);
    expect(ops.length).toBeGreaterThan(0);

    const { page, seen } = await newPage();
    try {
      const response = await page.goto(`${server!.baseUrl}/docs/${api}`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toBe(DOCS_CSP);
      const title = doc.info?.title ? `“${doc.info.title}”` : '(untitled)';
      await expect(page.locator('nav.docs-nav').textContent()).resolves.toBe(`← All APIs${api}document ${title} ${doc.info?.version}`);
      // Try it out talks to this server: the first entry of Servers, selected.
      await expect(page.locator('.servers select option').first().getAttribute('value')).resolves.toBe('/');
      await expect(page.locator('.servers select').inputValue()).resolves.toBe('/');

      for (const op of ops) {
        const block = page.locator(`.opblock.opblock-${op.method}`).filter({
          has: page.locator(`.opblock-summary-path[data-path="${op.path}"]`),
        });
        await block.first().waitFor({ state: 'visible', timeout: 20_000 });
        // Once, even when it has several tags (Swagger UI alone would list it under each).
        const count = await block.count();
        expect(count).toBe(1);

        for (let i = 0; i < count; i++) {
          const b = block.nth(i);
          const pathText = await b.locator('.opblock-summary-path').textContent();
          expect(stripZeroWidth(pathText ?? '')).toBe(op.path);
          const methodText = await b.locator('.opblock-summary-method').textContent();
          expect(methodText?.trim().toUpperCase()).toBe(op.method.toUpperCase());
          if (op.operationId !== undefined) {
            await expect(b.locator('.opblock-summary-operation-id').textContent()).resolves.toBe(op.operationId);
          }
          if (op.summary !== undefined) {
            await expect(b.locator('.opblock-summary-description').textContent()).resolves.toBe(op.summary);
          }
        }
      }
      // Swagger UI fetched the document from our server, not something else.
      expect(seen.requests).toContain(`${server!.baseUrl}/openapi/${api}.json`);
      // Let any late requests (e.g. validator badge, fonts) surface before checking.
      await page.waitForLoadState('networkidle');

      expectOnlyLocal(seen.requests);
      expect(seen.errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});

describe('docs router over HTTP', () => {
  const app = express().use(
    createDocsRouter([
      {
        name: 'evil',
        title: '<script>alert("t")</script>',
        specUrl: '/openapi/evil.json?a=1&b="2"',
        operations: [{ method: 'post', path: '/x/<y>', operationId: 'op"<id>', summary: "it's <b>bold</b>" }],
      },
    ]),
  );

  test('HTML-escapes every interpolated value', async () => {
    const index = await request(app).get('/docs').expect(200);
    expect(index.text).not.toContain('<script>alert');
    expect(index.text).toContain('&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;');
    expect(index.text).toContain('/x/&lt;y&gt;');
    expect(index.text).toContain('op&quot;&lt;id&gt;');
    expect(index.text).toContain('it&#39;s &lt;b&gt;bold&lt;/b&gt;');
    expect(index.text).toContain('href="/openapi/evil.json?a=1&amp;b=&quot;2&quot;"');

    const page = await request(app).get('/docs/evil').expect(200);
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).toContain('data-spec-url="/openapi/evil.json?a=1&amp;b=&quot;2&quot;"');
    // No inline script: every <script> has a src.
    expect(page.text.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
  });

  test('pages carry a strict CSP and no-cache; assets are immutable and local', async () => {
    const page = await request(app).get('/docs/evil').expect(200).expect('Content-Type', /text\/html/);
    expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(DOCS_CSP).toMatch(/^default-src 'self'/);
    expect(page.headers['cache-control']).toBe('no-cache');

    const srcs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => u.includes('/assets/'));
    expect(srcs.length).toBeGreaterThanOrEqual(4);
    for (const src of srcs) {
      expect(src).toMatch(/^\/docs\/assets\//);
      const asset = await request(app).get(src).expect(200);
      expect(asset.headers['cache-control']).toMatch(/max-age=31536000.*immutable|immutable.*max-age=31536000/);
    }
    const init = srcs.find((s) => s.endsWith('/docs-init.js'))!;
    const initJs = await request(app).get(init).expect('Content-Type', /javascript/);
    expect(initJs.text).toContain('validatorUrl: null');
  });

  test('unknown api, unknown asset and stale asset version are a plain JSON 404', async () => {
    for (const url of ['/docs/nope', '/docs/__proto__', '/docs/assets/0/swagger-ui-bundle.js']) {
      const res = await request(app).get(url).expect(404).expect('Content-Type', /application\/json/);
      expect(res.body).toEqual({ detail: 'Not Found' });
    }
    const page = await request(app).get('/docs/evil');
    const bundle = /src="([^"]+\/swagger-ui-bundle\.js)"/.exec(page.text)![1]!;
    const dir = bundle.slice(0, bundle.lastIndexOf('/'));
    for (const file of ['index.html', 'swagger-initializer.js', 'package.json', '..%2Fpackage.json']) {
      const res = await request(app).get(`${dir}/${file}`).expect(404);
      expect(res.body).toEqual({ detail: 'Not Found' });
    }
  });

  test('rejects reserved, malformed and duplicate api names', () => {
    const api = { title: 't', specUrl: '/s.json', operations: [] };
    expect(() => createDocsRouter([{ ...api, name: 'assets' }])).toThrow(/invalid api name/);
    expect(() => createDocsRouter([{ ...api, name: 'a/b' }])).toThrow(/invalid api name/);
    expect(() => createDocsRouter([{ ...api, name: 'a' }, { ...api, name: 'a' }])).toThrow(/duplicate/);
  });
});

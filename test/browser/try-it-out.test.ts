/**
 * "Try it out" on every api's /docs page, in Debian's Chromium, against the real server: a
 * session minted through the admin api, its token typed into the page, Execute clicked. The
 * page must get the server's real 200 with rotated tokens, and the api's own 401 for a wrong
 * token, with nothing leaving this origin (the documents' published hosts are never called).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page, Response } from 'playwright-core';
import { ADMIN_TOKEN, startReal, type RealHarness } from '../support/harness';
import { claimsOf } from '../support/drivers';
import { foreignRequests, launchChromium, newIsolatedPage } from './chromium';

interface Minted {
  session_id: string;
  sub: string;
  access_token: string;
  refresh_token: string;
}

const WRONG_TOKEN = 'not-a-refresh-token';

/** How each api's page takes the credentials, and what its 401 looks like. */
interface PageDriver {
  api: 'watchr' | 'galileo' | 'pathstack' | 'almanac' | 'session';
  path: string;
  /** Once per page, before any Execute: credentials other than the refresh token (almanac's bearer). */
  authorize?(page: Page, minted: Minted): Promise<void>;
  /** Fills the operation's inputs (the page's "Try it out" is on) with `refreshToken`. */
  fill(page: Page, minted: Minted, refreshToken: string): Promise<void>;
  unauthorized: unknown;
  /** The rotated refresh token the 200 hands back (from the body, or the cookie jar). */
  rotated(page: Page, body: any): Promise<string | undefined>;
}

const fillCookie = async (page: Page, _minted: Minted, token: string) => {
  await page.locator('tr[data-param-name="refresh_token"] input').fill(token);
};
const fillBody = (body: (minted: Minted, token: string) => object) => async (page: Page, minted: Minted, token: string) => {
  await page.locator('.body-param textarea').fill(JSON.stringify(body(minted, token)));
};
const cookieJarToken = (path: string) => async (page: Page) => {
  const cookie = (await page.context().cookies()).find((c) => c.name === 'refresh_token' && c.path === path && c.httpOnly);
  return cookie?.value;
};
const fastapi401 = { detail: expect.any(String) };

const DRIVERS: PageDriver[] = [
  { api: 'watchr', path: '/auth/refresh', fill: fillCookie, unauthorized: fastapi401, rotated: cookieJarToken('/auth/refresh') },
  { api: 'galileo', path: '/v1/refresh_token', fill: fillCookie, unauthorized: fastapi401, rotated: cookieJarToken('/v1/refresh_token') },
  {
    api: 'pathstack',
    path: '/refresh',
    fill: fillBody((minted, token) => ({ sub: minted.sub, refresh_token: token })),
    unauthorized: { error: { code: 401, message: 'Invalid Refresh Token' } },
    rotated: async (_page, body) => body?.data?.refresh_token,
  },
  {
    api: 'almanac',
    path: '/v1/auth/token/refresh',
    // The access token of the same session, through Swagger UI's Authorize dialog (bearerAuth).
    authorize: async (page, minted) => {
      await page.locator('.auth-wrapper button.authorize').click();
      await page.locator('.modal-ux input').first().fill(minted.access_token);
      await page.locator('.modal-ux .auth-btn-wrapper button.authorize').click();
      await page.locator('.modal-ux button.btn-done').click();
    },
    fill: fillBody((_minted, token) => ({ refresh_token: token })),
    unauthorized: fastapi401,
    rotated: async (_page, body) => body?.refresh_token,
  },
  {
    api: 'session',
    path: '/session/token/refresh',
    fill: fillBody((_minted, token) => ({ refresh_token: token })),
    unauthorized: { data: null, code: 40101, msg: 'Token is malformed', error: null, correlation_id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    rotated: async (_page, body) => body?.data?.refresh_token,
  },
];

/** The real app on a port, and Chromium: what each describe drives. */
interface BrowserTarget {
  h: RealHarness;
  baseUrl: string;
  browser: Browser;
  stop(): Promise<void>;
}

async function startBrowserTarget(overrides: Parameters<typeof startReal>[0] = {}): Promise<BrowserTarget> {
  const h = await startReal(overrides);
  const server: Server = createServer(h.built.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium();
  return {
    h,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    browser,
    stop: async () => {
      await browser.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      expect(h.violations).toEqual([]);
      await h.close();
    },
  };
}

describe('/docs "Try it out" against refreshd serve, in Chromium', () => {
  let target: BrowserTarget;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    target = await startBrowserTarget();
    ({ baseUrl, browser } = target);
  }, 60_000);
  afterAll(() => target?.stop());

  async function mintThroughAdminApi(api: string, sub: string): Promise<Minted> {
    const res = await fetch(`${baseUrl}/admin/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ api, sub }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Minted;
  }

  /** Clicks Execute and returns the exchange as the page got it, once the page shows its status. */
  async function execute(page: Page, path: string): Promise<{ response: Response; body: any; shownStatus: string }> {
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'POST'),
      page.locator('button.execute').click(),
    ]);
    const body = await response.json();
    const shown = page.locator('.live-responses-table .response .response-col_status').filter({ hasText: String(response.status()) });
    await shown.first().waitFor({ state: 'visible', timeout: 10_000 });
    return { response, body, shownStatus: ((await shown.first().textContent()) ?? '').trim() };
  }

  it.each(DRIVERS)('$api: a wrong token gets the api\'s 401, the minted one the real 200 with rotated tokens', async (driver) => {
    const sub = driver.api === 'pathstack' ? '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' : 'alice';
    const minted = await mintThroughAdminApi(driver.api, sub);
    const { page, seen } = await newIsolatedPage(browser, baseUrl);
    try {
      await page.goto(`${baseUrl}/docs/${driver.api}`);
      await page.locator('.opblock-summary').first().click();
      await page.locator('button.try-out__btn').click();
      await driver.authorize?.(page, minted);

      // A wrong token first: the page's cookie jar holds nothing of the server's yet.
      await driver.fill(page, minted, WRONG_TOKEN);
      const refused = await execute(page, driver.path);
      expect(refused.response.status()).toBe(401);
      expect(refused.shownStatus).toBe('401');
      expect(refused.body).toEqual(driver.unauthorized);

      await driver.fill(page, minted, minted.refresh_token);
      const accepted = await execute(page, driver.path);
      expect(accepted.response.status()).toBe(200);
      expect(accepted.shownStatus).toBe('200');
      const accessToken = findAccessToken(accepted.body);
      expect(claimsOf(accessToken)).toMatchObject({ token_type: 'access', sub, sid: minted.session_id, aud: driver.api });
      expect(accessToken).not.toBe(minted.access_token);
      const rotated = await driver.rotated(page, accepted.body);
      expect(rotated).toEqual(expect.any(String));
      expect(rotated).not.toBe(minted.refresh_token);
      expect(claimsOf(rotated!)).toMatchObject({ token_type: 'refresh', sid: minted.session_id });

      // Every request went to this server: the document's published hosts were never called.
      expect(foreignRequests(seen.requests, baseUrl)).toEqual([]);
      expect(seen.errors.filter((e) => !/\b401\b/.test(e))).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it('the page says how cookie parameters travel, on the cookie apis only', async () => {
    const { page } = await newIsolatedPage(browser, baseUrl);
    try {
      for (const api of ['watchr', 'galileo', 'pathstack', 'almanac', 'session']) {
        await page.goto(`${baseUrl}/docs/${api}`);
        await expect(page.locator('.docs-try').textContent()).resolves.toMatch(/sends each request to this server/);
        const note = page.locator('.docs-try-cookie');
        await expect(note.count()).resolves.toBe(api === 'watchr' || api === 'galileo' ? 1 : 0);
        if ((await note.count()) > 0) await expect(note.textContent()).resolves.toMatch(/refresh_token.* stores the value you typed as a cookie for that path/);
      }
    } finally {
      await page.context().close();
    }
  });
});

/** The access token of a 200 body, wherever the api puts it. */
function findAccessToken(body: any): string {
  const token = body?.access_token ?? body?.data?.access_token;
  expect(token).toEqual(expect.any(String));
  return token;
}

/**
 * The sixth api (test/fixtures/sixth-api: path parameters, a form body, an API key), served from
 * a specs folder holding only its two YAML files: its page works like the five's.
 */
describe('/docs "Try it out" on an api added as YAML (widgets), in Chromium', () => {
  const API_KEY = 'widget-key-for-the-browser';
  let target: BrowserTarget;
  let h: RealHarness;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    const { copyFileSync, mkdirSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const fixture = path.join(__dirname, '..', 'fixtures', 'sixth-api');
    const specsDir = mkdtempSync(path.join(tmpdir(), 'refreshd-docs-widgets-'));
    mkdirSync(path.join(specsDir, 'overlays'));
    copyFileSync(path.join(fixture, 'widgets.yaml'), path.join(specsDir, 'widgets.yaml'));
    copyFileSync(path.join(fixture, 'overlays', 'widgets.overlay.yaml'), path.join(specsDir, 'overlays', 'widgets.overlay.yaml'));
    target = await startBrowserTarget({ specsDir, apiKeys: [API_KEY] });
    ({ h, baseUrl, browser } = target);
  }, 60_000);
  afterAll(() => target?.stop());

  it('Authorize with the API key, fill the path and the form, Execute: a wrong token gets the 401 problem, the minted one a 200 with rotated tokens', async () => {
    const sub = '0b9f3a52-1c2d-4e5f-8a6b-7c8d9e0f1a2b';
    const minted = await h.tokens.mintSession({ api: 'widgets', sub });
    const path = `/tenants/acme/users/${sub}/token`;
    const { page, seen } = await newIsolatedPage(browser, baseUrl);
    try {
      await page.goto(`${baseUrl}/docs/widgets`);
      await page.locator('.auth-wrapper button.authorize').click();
      await page.locator('.modal-ux input').first().fill(API_KEY);
      await page.locator('.modal-ux .auth-btn-wrapper button.authorize').click();
      await page.locator('.modal-ux button.btn-done').click();
      await page.locator('.opblock-summary').first().click();
      await page.locator('button.try-out__btn').click();
      await page.locator('tr[data-param-name="tenant"] input').fill('acme');
      await page.locator('tr[data-param-name="user_id"] input').fill(sub);
      await page.locator('tr[data-property-name="grant_type"] select').selectOption('refresh_token');

      const execute = async () => {
        const [response] = await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'POST'),
          page.locator('button.execute').click(),
        ]);
        await page.locator('.live-responses-table .response .response-col_status').filter({ hasText: String(response.status()) }).first().waitFor({ state: 'visible', timeout: 10_000 });
        return { status: response.status(), body: await response.json(), request: response.request() };
      };

      await page.locator('tr[data-property-name="refresh_token"] input').fill(WRONG_TOKEN);
      const refused = await execute();
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401 });

      await page.locator('tr[data-property-name="refresh_token"] input').fill(minted.refreshToken);
      const accepted = await execute();
      expect(accepted.status).toBe(200);
      expect(accepted.request.headers()['x-widget-key']).toBe(API_KEY);
      expect(accepted.request.headers()['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(accepted.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, refresh_token: expect.any(String) });
      expect(claimsOf(accepted.body.refresh_token)).toMatchObject({ token_type: 'refresh', sid: minted.sessionId, aud: 'widgets', sub });
      expect(foreignRequests(seen.requests, baseUrl)).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 60_000);
});

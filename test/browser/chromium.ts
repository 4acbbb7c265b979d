import * as fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core. Fails (does not skip) when it is missing:
 * CI installs it (`apt-get install chromium`); nothing may download a browser.
 */
export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Everything the page requested, logged as an error, or threw. */
export interface Seen {
  requests: string[];
  errors: string[];
}

/**
 * A page in a fresh context (its own cookie jar) that can reach `baseUrl`'s origin only:
 * a request anywhere else is aborted, so no test run ever reaches the internet.
 */
export async function newIsolatedPage(browser: Browser, baseUrl: string): Promise<{ page: Page; seen: Seen }> {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const origin = new URL(baseUrl).origin;
  await context.route(
    (url) => url.origin !== origin && ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol),
    (route) => route.abort('blockedbyclient'),
  );
  const page = await context.newPage();
  const seen: Seen = { requests: [], errors: [] };
  page.on('request', (req) => seen.requests.push(req.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') seen.errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => seen.errors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => seen.errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('response', (res) => {
    if (res.status() >= 400) seen.errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return { page, seen };
}

/** The requests that left `baseUrl`'s origin (data: and blob: URLs stay in the page). */
export function foreignRequests(requests: string[], baseUrl: string): string[] {
  const origin = new URL(baseUrl).origin;
  return requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin);
}

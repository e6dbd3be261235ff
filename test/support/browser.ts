/**
 * Real headless Chromium for browser tests (login pages, the /docs page): Debian's `chromium`
 * driven by playwright-core. CI installs it (`.ci/run`); elsewhere GATEHOUSE_CHROMIUM may point at
 * another binary. Under CI a missing browser is an error, never a skipped test.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { isCI } from './test-databases.js';

export const CHROMIUM = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';

/** Whether the browser is installed. Under CI, importing this module fails when it is not. */
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && isCI) {
  throw new Error(
    `${CHROMIUM} is missing: CI must install chromium (apt-get install -y chromium, or set GATEHOUSE_CHROMIUM) to run the browser tests`,
  );
}

/** A headless Chromium with the options every browser test uses. Close it when done. */
export async function launchBrowser(): Promise<Browser> {
  if (!haveChromium) throw new Error(`${CHROMIUM} is missing: install chromium or set GATEHOUSE_CHROMIUM`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Runs `work` with a fresh browser, closed afterwards whatever happens. */
export async function withBrowser<T>(work: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    return await work(browser);
  } finally {
    await browser.close();
  }
}

/**
 * A new page that records page errors, failed requests and console errors (CSP violations among
 * them) in `problems`, so a test can assert the page ran cleanly.
 */
export async function newWatchedPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return { page, problems };
}

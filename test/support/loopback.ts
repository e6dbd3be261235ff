/**
 * The CLI's side of a browser login: a loopback HTTP server whose `/callback` page just says the
 * login arrived, and a browser helper that logs in at a test OpenID provider's own pages.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { TestAccount } from './oidc-provider.js';

export interface Loopback {
  url: string;
  close(): Promise<void>;
}

export async function startLoopback(): Promise<Loopback> {
  const http = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!doctype html><title>CLI</title><p>Login received</p>');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** A login URL as the CLI builds it: `<start>?origin=<loopback>/callback&type=token&label=…`. */
export function cliLoginUrl(start: string, loopback: Loopback, label = 'laptop / Chromium'): string {
  return `${start}?${new URLSearchParams({ origin: `${loopback.url}/callback`, type: 'token', label })}`;
}

/**
 * Follows a login in `page`: logs in at the test OpenID provider (unless its session already
 * covers it, `account` null) and consents; resolves with the URL the browser ended at (the
 * loopback callback, or one of Gatehouse's pages, an error page among them).
 */
export async function loginAtProvider(
  page: Page,
  start: string,
  account: TestAccount | null,
  ends: { loopback: Loopback; serverUrl: string },
): Promise<URL> {
  await page.goto(start);
  if (account) {
    await page.locator('#login').fill(account.login);
    await page.locator('#password').fill(account.password);
    await page.locator('#sign-in').click();
    await page.locator('#allow').click();
  }
  await page.waitForURL(
    (url) => url.href.startsWith(`${ends.loopback.url}/callback`) || url.href.startsWith(`${ends.serverUrl}/`),
  );
  return new URL(page.url());
}

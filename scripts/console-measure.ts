/**
 * Measures the console's first page against a local server (scripts/console-demo.ts) in headless
 * Chromium, with an empty cache each time, 1280 and 390 px wide:
 *
 * - JavaScript and CSS sent for the first page (the projects page, signed in): gzip and brotli
 *   sizes as the server sends them, and the uncompressed size;
 * - first contentful paint (the browser's own mark);
 * - first render: when the page's heading and its list are on screen;
 * - interactive: when "Create project" works (the server has said the person may create one).
 *
 * Times are medians of RUNS loads on this machine, over loopback: they say how much the console
 * itself costs, not what a network adds. On a busy machine they are slower; the byte counts are not.
 *
 * Usage: npm run console:measure          (GATEHOUSE_MEASURE_RUNS, default 7)
 */
import type { Page } from 'playwright-core';
import { DESKTOP, launchChromium, newPage, PHONE, signIn, startDemo } from './console-demo.js';

const RUNS = Number(process.env.GATEHOUSE_MEASURE_RUNS ?? 7);

const demo = await startDemo();
const browser = await launchChromium();

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Bytes of each script and style sheet of a first load, as sent with each encoding. */
async function weigh(urls: string[]) {
  const totals = { js: { gzip: 0, br: 0, raw: 0 }, css: { gzip: 0, br: 0, raw: 0 } };
  for (const url of urls) {
    const kind = url.endsWith('.css') ? 'css' : 'js';
    for (const encoding of ['gzip', 'br', 'identity'] as const) {
      // fetch() decompresses the body; what crossed the wire is the Content-Length.
      const res = await fetch(url, { headers: { 'accept-encoding': encoding } });
      const body = (await res.arrayBuffer()).byteLength;
      const sent = res.headers.get('content-encoding') ? Number(res.headers.get('content-length')) : body;
      totals[kind][encoding === 'identity' ? 'raw' : encoding] += sent;
    }
  }
  return totals;
}

/** One cold load of the projects page in a signed-in context: its timings and the assets it fetched. */
async function load(page: Page) {
  const assets = new Set<string>();
  const onRequest = (request: { url(): string; resourceType(): string }) => {
    if (['script', 'stylesheet'].includes(request.resourceType())) assets.add(request.url());
  };
  page.on('request', onRequest);
  const client = await page.context().newCDPSession(page);
  await client.send('Network.clearBrowserCache');
  await page.goto('/console/projects', { waitUntil: 'commit' });
  await page.getByRole('list', { name: 'Projects' }).waitFor();
  const rendered = await page.evaluate(() => performance.now());
  await page.waitForFunction(() => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Create project');
    return button !== undefined && button.getAttribute('aria-disabled') === null;
  });
  const interactive = await page.evaluate(() => performance.now());
  const paint = await page.evaluate(
    () => performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint')?.startTime ?? Number.NaN,
  );
  page.off('request', onRequest);
  return { rendered, interactive, paint, assets: [...assets] };
}

try {
  console.log(`Measuring ${demo.base}/console/projects, ${RUNS} cold loads per width\n`);
  const rows: string[] = [];
  let firstAssets: string[] = [];
  for (const viewport of [DESKTOP, PHONE]) {
    const page = await newPage(browser, demo, { viewport });
    await signIn(page, demo.ada.email);
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await load(page));
    firstAssets = runs[0]?.assets ?? [];
    rows.push(
      `| ${viewport.width} px | ${median(runs.map((r) => r.paint)).toFixed(0)} ms | ${median(runs.map((r) => r.rendered)).toFixed(0)} ms | ${median(runs.map((r) => r.interactive)).toFixed(0)} ms |`,
    );
    await page.context().close();
  }
  const weight = await weigh(firstAssets);
  console.log('| first page (signed in) | gzip | brotli | uncompressed |');
  console.log('| --- | --- | --- | --- |');
  console.log(
    `| JavaScript, ${firstAssets.filter((u) => u.endsWith('.js')).length} files | ${kb(weight.js.gzip)} | ${kb(weight.js.br)} | ${kb(weight.js.raw)} |`,
  );
  console.log(
    `| CSS, ${firstAssets.filter((u) => u.endsWith('.css')).length} files | ${kb(weight.css.gzip)} | ${kb(weight.css.br)} | ${kb(weight.css.raw)} |`,
  );
  console.log('\n| width | first contentful paint | first render (list shown) | interactive ("Create project" works) |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  await browser.close();
  await demo.close();
}

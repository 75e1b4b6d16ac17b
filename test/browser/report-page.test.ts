// The HTML report in a real headless Chromium: renders offline, verdict and chart present, screenshot taken.
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { NO_UPSTREAMS, twoArmExperiment } from '../helpers/experiments.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let browser: Browser;
let gw: TestGateway;
const store = new MemoryEventStore();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (or set CHROMIUM_PATH)`,
    );
  }
  gw = await startGateway(
    [
      twoArmExperiment('page', NO_UPSTREAMS, {
        description: 'Browser test',
        metrics: [{ name: 'conversion', type: 'binomial' }],
      }),
    ],
    {},
    { store },
  );
  // 700 users in control and 300 in treatment for 1:1 weights: an SRM the page must shout about.
  const now = Date.now();
  const records = [];
  for (let i = 0; i < 1000; i++) {
    const arm = i < 700 ? 'control' : 'treatment';
    store.recordExposure({ experiment: 'page', arm, userId: `u${i}`, timestamp: now });
    if ((arm === 'control' && i % 10 === 0) || (arm === 'treatment' && i % 5 === 0)) {
      records.push({
        userId: `u${i}`,
        metric: 'conversion',
        value: 1,
        timestamp: now,
        targets: [{ experiment: 'page', metricType: 'binomial' as const }],
      });
    }
  }
  await store.recordOutcomes(records);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
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
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

describe('HTML report page', () => {
  it('renders the verdict, the lift chart, exposures and the SRM banner without errors', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(gw.url)) external.push(r.url());
    });
    const res = await page.goto(`${gw.url}/reports/page`);
    expect(res?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('abgate report: page');
    const verdict = await page.locator('.verdict').first().innerText();
    expect(verdict).toMatch(
      /^treatment raises conversion by 100\.0% \(95% CI [\d.]+% to [\d.]+%\), significant: an improvement \(untrustworthy: sample ratio mismatch\)/,
    );
    expect(await page.locator('svg.chart circle.point').count()).toBe(1);
    expect(await page.locator('svg.chart line.ci').count()).toBe(1);
    const box = await page.locator('svg.chart').first().boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    await expect(page.locator('.banner.srm').innerText()).resolves.toContain('Sample ratio mismatch');
    await expect(page.locator('body').innerText()).resolves.toContain('700');
    await mkdir('test/browser/output', { recursive: true });
    const shot = await page.screenshot({ path: 'test/browser/output/report.png', fullPage: true });
    expect(shot.length).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });
});

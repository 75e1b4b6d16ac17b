/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (DOM types for the functions that run inside the page; the build of src/ stays without them.)
// The HTML report in a real headless Chromium: renders offline; SRM warning first and verdicts
// greyed; on a 390 px phone no sideways page scroll and the charts inside the viewport; text
// contrast ≥ 4.5:1; axis labels that never overlap; accessible structure; the login flow.
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { reportToHtml } from '../../src/reports/html.js';
import { dailyReport, experimentDoc, rolloutFixture, seedDays, START } from '../reports/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'browser-token-0123456789';
const PHONE = { width: 390, height: 844 };
let browser: Browser;
let gw: TestGateway;
let locked: TestGateway;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (or set CHROMIUM_PATH)`,
    );
  }
  // Ten days of data with 60% of users in control for 1:1 weights: an SRM the page must shout about,
  // and a daily series for the lift-over-time chart.
  const clock = { now: START };
  const store = new MemoryEventStore({ now: () => clock.now });
  await seedDays(store, clock, 'page', { controlShare: 0.6 });
  await seedDays(store, clock, 'fine', {});
  gw = await startGateway([experimentDoc('page'), experimentDoc('fine')], {}, { store });
  locked = await startGateway([experimentDoc('fine')], { apiToken: TOKEN }, { store });
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
  await locked?.close();
});

/** Problems a page must not have: script errors, console errors, requests to anywhere else. */
function watch(page: Page, origin: string) {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('about:')) problems.push(`external: ${r.url()}`);
  });
  return problems;
}

/** Layout checks that hold at any width: no sideways page scroll, charts inside the viewport. */
async function fitsViewport(page: Page, width: number) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  const charts = page.locator('svg.chart');
  expect(await charts.count()).toBeGreaterThan(0);
  for (const box of await charts.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()))) {
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(width);
    expect(box.width).toBeGreaterThan(250);
  }
}

/** Every piece of text against the background it sits on: WCAG contrast ratios below 4.5. */
async function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3]! > 0)) return c;
      }
      return [255, 255, 255];
    };
    const bad: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement!;
      if (!n.textContent?.trim() || el.closest('title, style')) continue;
      const style = getComputedStyle(el);
      const fg = rgb(el instanceof SVGElement ? style.fill : style.color);
      const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
      const ratio = (a! + 0.05) / (b! + 0.05);
      if (ratio < 4.5) bad.push(`${n.textContent.trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
    }
    return bad;
  });
}

/** Pairs of tick labels in one chart whose boxes intersect. */
async function overlappingTicks(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    for (const svg of document.querySelectorAll('svg.chart')) {
      const boxes = [...svg.querySelectorAll('text')].map(
        (t) => [t.textContent, t.getBoundingClientRect()] as const,
      );
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [ta, a] = boxes[i]!;
          const [tb, b] = boxes[j]!;
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
            bad.push(`${ta} / ${tb}`);
        }
      }
    }
    return bad;
  });
}

describe('HTML report page', () => {
  it('puts the SRM warning first, greys the verdict, and draws lift and lift over time', async () => {
    const page = await browser.newPage();
    const problems = watch(page, gw.url);
    const res = await page.goto(`${gw.url}/reports/page`);
    expect(res?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('abgate report: page');
    await expect(page.locator('main').count()).resolves.toBe(1);
    const banner = page.locator('.banner.srm');
    await expect(banner.innerText()).resolves.toContain('sample ratio mismatch');
    const verdict = page.locator('.verdict').first();
    expect(await verdict.innerText()).toMatch(
      /^Untrustworthy \(sample ratio mismatch\): treatment raises conversion by/,
    );
    expect(await verdict.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(87, 96, 106)');
    const bannerY = (await banner.boundingBox())!.y;
    expect(bannerY).toBeLessThan((await verdict.boundingBox())!.y);
    expect(await page.locator('svg.chart.lift g.bar.untrustworthy circle.point').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.chart.time polyline.lift').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.chart.time circle.day').count()).toBeGreaterThanOrEqual(10);
    await expect(page.locator('.glance').innerText()).resolves.toMatch(/control 50\.0% → 60\.0%/);
    await mkdir('test/browser/output', { recursive: true });
    const shot = await page.screenshot({ path: 'test/browser/output/report.png', fullPage: true });
    expect(shot.length).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('has accessible structure: captions and scoped headers on every table', async () => {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/reports/fine`);
    const tables = await page.locator('table').count();
    expect(tables).toBeGreaterThan(3);
    await expect(page.locator('table > caption').count()).resolves.toBe(tables);
    await expect(page.locator('th:not([scope])').count()).resolves.toBe(0);
    await expect(page.locator('svg.chart[role="img"][aria-label]').count()).resolves.toBe(
      await page.locator('svg.chart').count(),
    );
    await page.close();
  });

  it.each([
    ['phone', PHONE.width],
    ['desktop', 1280],
  ])(
    'fits a %s (%i px): no sideways scroll, charts in view, contrast ≥ 4.5:1, no overlapping labels',
    async (_, width) => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      for (const path of ['/reports/fine', '/reports/page', '/reports/']) {
        await page.goto(`${gw.url}${path}`);
        if (path !== '/reports/') await fitsViewport(page, width);
        else
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        expect(await lowContrast(page), path).toEqual([]);
        expect(await overlappingTicks(page), path).toEqual([]);
      }
      if (width === PHONE.width)
        await page.screenshot({ path: 'test/browser/output/report-phone.png', fullPage: true });
      await page.close();
    },
  );

  it('shows a canary rollout on a phone: step of steps, next check, guardrails with bounds', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    await page.setContent(reportToHtml({ ...(await dailyReport()), rollout: rolloutFixture() }));
    await fitsViewport(page, PHONE.width);
    const rollout = await page.locator('section.rollout').innerText();
    expect(rollout).toMatch(/step\s+2 of 4 \(1% → 5% → 25% → 50%\)/);
    expect(rollout).toMatch(/next check\s+2026-11-10 09:10:00 UTC/);
    expect(rollout).toMatch(
      /abgate_latency_ms\s+breached\s+max_relative_increase 0\.1\s+\+18\.00%\s+\+12\.10%/,
    );
    expect(await lowContrast(page)).toEqual([]);
    await page.close();
  });

  it('lets a browser log in with the API token and lists the experiments', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`${locked.url}/reports/fine`);
    expect(page.url()).toBe(`${locked.url}/reports/_login?next=%2Freports%2Ffine`);
    expect(res?.status()).toBe(200);
    await page.fill('#token', 'wrong');
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').innerText()).resolves.toContain('not the API token');
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(`${locked.url}/reports/fine`);
    await expect(page.title()).resolves.toBe('abgate report: fine');
    expect(await page.evaluate(() => document.cookie)).toBe(''); // HttpOnly: scripts cannot read it
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: 'abgate_reports',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/reports',
    });
    expect(cookie!.value).not.toContain(TOKEN);
    await page.click('text=All experiments');
    await page.waitForURL(`${locked.url}/reports/`);
    await expect(page.locator('table a[href="/reports/fine"]').count()).resolves.toBe(1);
    await page.click('text=Log out');
    await page.waitForURL(`${locked.url}/reports/_login`);
    await page.goto(`${locked.url}/reports/fine`);
    expect(page.url()).toContain('/reports/_login');
    await context.close();
  });
});

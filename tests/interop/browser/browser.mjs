// What the browser tests share: Debian's chromium launched by playwright-core (never a downloaded browser),
// a page that records its errors and any request to another origin, and the screen check every screen
// gets: a screenshot wide, narrow and dark, each checked by axe-core for serious or critical violations
// and, when narrow, for sideways scrolling.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { REPO } from "../node/helpers.mjs";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const CHROMIUM = process.env.S3COGNITO_CHROMIUM || "/usr/bin/chromium";
export const SCREENS = path.join(REPO, "tests", "interop", "artifacts", "screens");
export const WIDE = { width: 1280, height: 900 };
export const NARROW = { width: 390, height: 844 };

/**
 * A browser with one page on `server`. `problems` collects page errors and content-security refusals,
 * `foreign` every request to another origin; a test asserts both are empty at its end.
 */
export async function openBrowser(server, { step, acceptDownloads = false }) {
  fs.mkdirSync(SCREENS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags Chromium tries Google's hosts, which this closed network refuses.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: WIDE, acceptDownloads });
  context.setDefaultTimeout(step);
  const page = await context.newPage();
  const problems = [];
  const foreign = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(server.endpoint) && !/^(data|blob):/.test(url)) foreign.push(url);
  });
  return { browser, context, page, problems, foreign };
}

/** Waits for the page's transitions (a theme's colours fading in) to end and a frame to be drawn (charts redraw on a resize), so axe sees the final colours. */
export async function settle(page) {
  await page.evaluate(async () => {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    await Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => {})));
    await new Promise((resolve) => requestAnimationFrame(resolve));
  });
}

/** No serious or critical axe-core violation on the page as it is now. */
export async function checkAccessibility(page, name) {
  await settle(page);
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ["violations"], runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ` +
        v.nodes.map((n) => `${n.html.slice(0, 160)}: ${n.any.concat(n.all).map((c) => c.message).join("; ")}`).join(" | "),
    ),
    [],
    `${name}: accessibility violations`,
  );
}

/** A screenshot wide and narrow (light), and wide in the dark theme, named `<name>-wide.png` and so on; axe-core in each. */
export async function screen(page, name) {
  await page.waitForLoadState("networkidle").catch(() => {});
  await settle(page);
  await page.screenshot({ path: path.join(SCREENS, `${name}-wide.png`), fullPage: true });
  await checkAccessibility(page, `${name} (wide)`);
  await page.setViewportSize(NARROW);
  await settle(page);
  await page.screenshot({ path: path.join(SCREENS, `${name}-narrow.png`), fullPage: true });
  await checkAccessibility(page, `${name} (narrow)`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name}: the narrow screen scrolls sideways by ${overflow}px`);
  await page.setViewportSize(WIDE);
  await page.emulateMedia({ colorScheme: "dark" });
  await settle(page);
  await page.screenshot({ path: path.join(SCREENS, `${name}-dark.png`), fullPage: true });
  await checkAccessibility(page, `${name} (dark)`);
  await page.emulateMedia({ colorScheme: "light" });
}

export async function heading(page, name) {
  await page.getByRole("heading", { name, exact: true }).waitFor();
}

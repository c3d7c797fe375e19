// The monitoring dashboard the binary serves at /_s3cognito/admin/, in headless Chromium (Debian's,
// driven by playwright-core): after a small workload (a user's failed sign-in, an upload through a
// presigned URL, a refused presigned URL), that user signs in and is told the dashboard is for
// administrators; an administrator signs in and sees the server's health, the charts, the user's storage
// and the audit events, switches the time window by keyboard, is told when the figures cannot be gathered,
// and is sent back to sign in when the session is ended elsewhere. Every screen is photographed wide,
// narrow and dark (tests/interop/artifacts/screens/dashboard-*.png) and checked by axe-core.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { adminClient, adminUser, cognito, randomPassword, startServer } from "../node/helpers.mjs";
import * as browserTools from "./browser.mjs";

const STEP = 30_000;

let server;
let admin;
let browser;
let page;
let problems;
let foreign;

const stamp = Date.now().toString(36);
const administrator = { username: `boss${stamp}`, password: randomPassword() };
const member = { username: `carol${stamp}`, password: randomPassword() };
// 10 KiB, which the dashboard writes as "10 KB" (as the upload widget does).
const report = { name: "quarterly-report.txt", bytes: Buffer.from("Revenue went up; costs went down.\n".repeat(400)).subarray(0, 10 * 1024) };

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  for (const user of [administrator, member]) {
    await adminUser(admin, server, { username: user.username, email: `${user.username}@example.com`, password: user.password });
  }
  await admin.send("AdminAddUserToGroup", { UserPoolId: server.poolId, Username: administrator.username, GroupName: "administrators" });
  await workload();

  ({ browser, page, problems, foreign } = await browserTools.openBrowser(server, { step: STEP }));
});

after(async () => {
  await browser?.close();
  admin?.client.destroy();
  if (server) await server.stop();
});

/** What the dashboard should show: the member's failed sign-in, an upload and a refused presigned URL. */
async function workload() {
  const signIn = (password) =>
    cognito(server, "InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: server.clientId,
      AuthParameters: { USERNAME: member.username, PASSWORD: password },
    });
  const refused = await signIn("Not-the-password-1");
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  const signedIn = await signIn(member.password);
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));

  const presign = server.exports.aws_cloud_logic_custom.find((api) => api.name === "presign").endpoint;
  const query = new URLSearchParams({ name: report.name, method: "PUT", contentType: "text/plain", size: String(report.bytes.length) });
  const presigned = await fetch(`${presign}?${query}`, { headers: { authorization: signedIn.body.AuthenticationResult.AccessToken } });
  const { url, headers } = await presigned.json();
  assert.equal(presigned.status, 200);
  const put = await fetch(url, { method: "PUT", headers, body: report.bytes });
  assert.equal(put.status, 200, await put.text());
  member.key = new URL(url).pathname.split("/").slice(2).map(decodeURIComponent).join("/");

  // The same URL with its signature changed is refused.
  const tampered = new URL(url);
  tampered.searchParams.set("X-Amz-Signature", "0".repeat(64));
  const forged = await fetch(tampered, { method: "PUT", headers, body: report.bytes });
  assert.equal(forged.status, 403);
}

const screen = (name) => browserTools.screen(page, `dashboard-${name}`);
const heading = (name) => browserTools.heading(page, name);

async function signIn(user) {
  await heading("Sign in");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The rows of the table in the section with this heading, as the text of their cells. */
async function rowsUnder(sectionHeading) {
  const table = page.getByRole("region", { name: sectionHeading }).getByRole("table");
  return table.locator("tbody tr").evaluateAll((rows) => rows.map((row) => [...row.cells].map((cell) => cell.innerText.trim())));
}

test("the dashboard's address asks a signed-out visitor to sign in, loading nothing from elsewhere", async () => {
  const response = await page.goto(`${server.endpoint}/_s3cognito/admin/`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"], /script-src 'self'/);
  await heading("Sign in");
  await page.getByText("Sign in with an administrator's account").waitFor();
  await screen("sign-in");
});

test("a user outside the administrators group is told the dashboard is not for them, and can sign out", async () => {
  await signIn(member);
  await heading("Monitoring");
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /This dashboard is for administrators\./);
  assert.match(await alert.innerText(), new RegExp(member.username));
  await screen("not-administrator");
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading("Sign in");
});

test("an administrator sees the server's health, the charts, storage per user and the audit events", async () => {
  await signIn(administrator);
  await heading("Monitoring");
  await page.getByText(`Signed in as ${administrator.username}`).waitFor();
  await heading("Health");

  for (const [name, state] of [
    ["Database", "OK"],
    ["Blob store", "OK"],
    ["Keys", "OK"],
    ["User pool", "OK"],
    ["Bucket", "OK"],
    ["Default KMS key", "Enabled"],
  ]) {
    const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name, exact: true }) });
    assert.equal(await card.locator(".state").innerText(), `✓${state}`, name);
  }
  const pool = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "User pool" }) });
  assert.match(await pool.innerText(), /2 users/);
  const bucket = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Bucket" }) });
  assert.match(await bucket.innerText(), /1 object · 10 KB · 0 multipart uploads under way/);

  const charts = page.locator("canvas[role=img]");
  assert.equal(await charts.count(), 3);
  const names = await charts.evaluateAll((canvases) => canvases.map((canvas) => canvas.getAttribute("aria-label")));
  assert.match(names[0], /^Uploads: .*Uploads: 1, Bytes uploaded: 10 KB/);
  assert.match(names[1], /^Sign-in failures: .*Failed sign-ins: 1, Lockouts: 0/);
  assert.match(names[2], /^Presigned URLs: .*Issued: 1, Used: 1, Refused: 1/);

  const storage = await rowsUnder("Storage per user");
  assert.equal(storage.length, 1, JSON.stringify(storage));
  assert.ok(storage[0][0].startsWith(member.username), JSON.stringify(storage));
  assert.deepEqual(storage[0].slice(1), ["1", "10 KB"]);

  const events = await rowsUnder("Recent audit events");
  const principal = `${server.poolId}/${member.username}`;
  const failedSignIn = events.find(([, event, outcome, who]) => event.startsWith("InitiateAuth") && outcome.includes("Failure") && who === principal);
  assert.ok(failedSignIn, `a failed InitiateAuth of ${principal} in ${JSON.stringify(events)}`);
  assert.match(failedSignIn[2], /NotAuthorizedException/);
  const upload = events.find(([, event, outcome, , , resource]) => event.startsWith("PutObject") && outcome.includes("Success") && resource.endsWith(member.key));
  assert.ok(upload, `the upload of ${member.key} in ${JSON.stringify(events)}`);

  // A chart's figures as text: every interval, the workload's in the last one.
  await page.getByText("Presigned URLs for each interval").click();
  const presigned = await rowsUnder("Presigned URLs, for each interval");
  assert.ok(presigned.length >= 24, `one row per interval: ${presigned.length}`);
  assert.deepEqual(presigned.at(-1).slice(1), ["1", "1", "1"]);
  await screen("overview");
});

test("the time window switches to the last week and back, by keyboard", async () => {
  const windowField = page.getByLabel("Time window");
  await page.evaluate(() => document.activeElement?.blur());
  for (let presses = 0; presses < 10 && !(await windowField.evaluate((field) => field === document.activeElement)); presses++) {
    await page.keyboard.press("Tab");
  }
  assert.equal(await windowField.evaluate((field) => field === document.activeElement), true, "Tab reaches the time window");
  await page.keyboard.press("ArrowDown");
  assert.equal(await windowField.evaluate((field) => field.selectedOptions[0].textContent), "Last week");
  await page.getByText(/one point every 7 hours/).waitFor();
  await page.getByRole("status").filter({ hasText: /^Figures as of/ }).waitFor();
  assert.equal(await page.locator("canvas[role=img]").count(), 3);
  await screen("last-week");

  await windowField.focus();
  await page.keyboard.press("ArrowUp");
  await page.getByText(/one point every hour/).waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Refresh");
  await page.keyboard.press("Enter");
  await page.getByRole("status").filter({ hasText: /^Figures as of/ }).waitFor();
  assert.equal(await page.locator("canvas[role=img]").count(), 3);
});

test("when the server cannot gather its figures the dashboard says so, and Refresh brings them back", async () => {
  const overview = `${server.endpoint}/_s3cognito/admin/overview?*`;
  await page.route(overview, (route) =>
    route.fulfill({
      status: 503,
      contentType: "application/json",
      body: JSON.stringify({
        __type: "ServiceUnavailable",
        message: "The figures could not be gathered; see the server's health.",
        health: { database: "unavailable", blobStore: "ok", keys: "ok" },
      }),
    }),
  );
  try {
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.getByRole("alert").filter({ hasText: "could not gather its figures just now. Unavailable: the database." }).waitFor();
    assert.equal(await page.locator("canvas").count(), 0, "no figures are shown that could pass for current ones");
    await screen("unavailable");
  } finally {
    await page.unroute(overview);
  }
  await page.getByRole("button", { name: "Refresh" }).click();
  await heading("Health");
  assert.equal(await page.getByRole("alert").count(), 0);
});

test("a session ended elsewhere brings the administrator back to sign in with a clear message", async () => {
  await admin.send("AdminUserGlobalSignOut", { UserPoolId: server.poolId, Username: administrator.username });
  await page.getByRole("button", { name: "Refresh" }).click();
  await heading("Sign in");
  await page.getByText("Your session has expired. Sign in again.").waitFor();
});

test("nothing failed in the page and nothing was loaded from elsewhere", () => {
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
});

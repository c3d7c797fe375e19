// The upload page the binary serves, in headless Chromium (Debian's, driven by playwright-core): a new
// user signs up, confirms with the mailed code, uploads a large and a small file through the page's
// file picker, downloads one, deletes the other, keeps the session across a reload, resets a forgotten
// password; an administrator-created user chooses a new password on first sign-in. Every screen is
// photographed wide and narrow (tests/interop/artifacts/screens/) and checked by axe-core.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { adminClient, outboxCode, randomPassword, startServer } from "../node/helpers.mjs";
import { MiB, adminS3, md5, objectExists, randomBytes } from "../node/upload-helpers.mjs";
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand } from "@aws-sdk/client-s3";
import * as browserTools from "./browser.mjs";

const STEP = 60_000;

let server;
let admin;
let s3;
let browser;
let context;
let page;
let files;
let problems;
let foreign;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  s3 = adminS3(server);
  files = fs.mkdtempSync(path.join(os.tmpdir(), "s3cognito-page-"));
  ({ browser, context, page, problems, foreign } = await browserTools.openBrowser(server, { step: STEP, acceptDownloads: true }));
});

after(async () => {
  await browser?.close();
  admin?.client.destroy();
  s3?.destroy();
  if (files) fs.rmSync(files, { recursive: true, force: true });
  if (server) await server.stop();
});

const screen = (name) => browserTools.screen(page, name);
const heading = (name) => browserTools.heading(page, name);

/** Chooses files with the page's file picker (the upload widget's "browse files"). */
async function chooseFiles(paths) {
  // After an upload the widget shows its files; "Add more" brings the picker back.
  const addMore = page.getByRole("button", { name: /add more/i }).first();
  if (await addMore.isVisible()) await addMore.click();
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByRole("button", { name: /browse files/i }).first().click(),
  ]);
  await chooser.setFiles(paths);
}

async function userFiles(identityPrefix) {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: server.exports.aws_user_files_s3_bucket, Prefix: identityPrefix }));
  return (listed.Contents ?? []).map((o) => o.Key);
}

const user = { username: `page${Date.now().toString(36)}`, email: "", password: randomPassword() };
user.email = `${user.username}@example.com`;
const big = { name: "holiday-video.bin", bytes: randomBytes(20 * MiB) };
const small = { name: "notes.txt", bytes: Buffer.from("Notes from the meeting: ship the upload page.\n") };

test("a browser at the server's address gets the sign-in page, loading nothing from elsewhere", async () => {
  const response = await page.goto(`${server.endpoint}/`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"], /script-src 'self'/);
  await heading("Sign in");
  await page.getByLabel("Username").waitFor();
  await page.getByLabel("Password").waitFor();
  await screen("sign-in");
  await page.getByLabel("Username").fill("nobody");
  await page.getByLabel("Password").fill("Wrong-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  assert.match(await page.getByRole("alert").innerText(), /incorrect|not exist|password/i);
  await screen("sign-in-error");
});

test("sign up, confirm with the mailed code, and arrive at an empty file list", async () => {
  await page.getByRole("button", { name: "Create account" }).click();
  await heading("Create account");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await screen("create-account");
  await page.getByRole("button", { name: "Create account" }).click();
  await heading("Confirm your account");
  await screen("confirm");
  const code = await outboxCode(server, user.email);
  await page.getByLabel("Confirmation code").fill(code);
  await page.getByRole("button", { name: "Confirm" }).click();
  await heading("Your files");
  await page.getByText("No files yet").waitFor();
  await screen("files-empty");
});

test("uploads a 20 MiB file (in parts) and a small one, sees both listed, downloads the large one whole", async () => {
  const bigPath = path.join(files, big.name);
  const smallPath = path.join(files, small.name);
  fs.writeFileSync(bigPath, big.bytes);
  fs.writeFileSync(smallPath, small.bytes);
  await chooseFiles([bigPath, smallPath]);
  await page.getByRole("button", { name: `Download ${big.name}` }).waitFor();
  await page.getByRole("button", { name: `Download ${small.name}` }).waitFor();
  await page.getByRole("cell", { name: big.name }).first().waitFor();
  await screen("files");

  // The user's namespace, private/<identityId>/, as the bucket's owner sees it.
  const owned = (await userFiles("private/")).filter((key) => key.endsWith(`/${big.name}`));
  assert.equal(owned.length, 1, `one ${big.name} in the bucket: ${owned}`);
  const identityId = owned[0].split("/")[1];
  assert.match(identityId, /^us-east-1:[0-9a-f-]{36}$/);
  const prefix = `private/${identityId}/`;
  assert.deepEqual((await userFiles(prefix)).sort(), [`${prefix}${big.name}`, `${prefix}${small.name}`]);
  const head = await s3.send(new HeadObjectCommand({ Bucket: server.exports.aws_user_files_s3_bucket, Key: `${prefix}${big.name}` }));
  assert.equal(head.ContentLength, big.bytes.length);
  assert.match(head.ETag, /-4"$/, "the large file went up in four 5 MiB parts");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: `Download ${big.name}` }).click(),
  ]);
  assert.equal(download.suggestedFilename(), big.name);
  const saved = fs.readFileSync(await download.path());
  assert.equal(md5(saved), md5(big.bytes), "the download is the uploaded bytes");
  user.prefix = prefix;
});

test("deletes a file, and a reload keeps the session and the list", async () => {
  await page.getByRole("button", { name: `Delete ${small.name}` }).click();
  await page.getByRole("button", { name: `Download ${small.name}` }).waitFor({ state: "detached" });
  await page.getByText(`Deleted ${small.name}.`).waitFor();
  assert.equal(await objectExists(s3, server.exports.aws_user_files_s3_bucket, `${user.prefix}${small.name}`), false);

  await page.reload();
  await heading("Your files");
  await page.getByRole("button", { name: `Download ${big.name}` }).waitFor();
  assert.equal(await page.getByRole("button", { name: `Download ${small.name}` }).count(), 0);
  await page.getByText(`Signed in as ${user.username}`).waitFor();
});

/** The session Amplify keeps in the browser's storage: each item's name ends with what it holds. */
async function storedSession() {
  return page.evaluate(() => {
    const found = {};
    for (let index = 0; index < localStorage.length; index++) {
      const name = localStorage.key(index);
      const match = /^CognitoIdentityServiceProvider\.[^.]+\.[^.]+\.(accessToken|refreshToken|clockDrift)$/.exec(name);
      if (match) found[match[1]] = { name, value: localStorage.getItem(name) };
    }
    return found;
  });
}

test("an access token past its end is renewed with the refresh token, and the page goes on", async () => {
  const before = await storedSession();
  assert.ok(before.accessToken && before.refreshToken && before.clockDrift, "a signed-in session is stored");
  // Two hours of clock drift: to the page, every token it holds has ended (they last an hour).
  await page.evaluate(({ name }) => localStorage.setItem(name, String(2 * 60 * 60 * 1000)), before.clockDrift);
  const renewals = [];
  const recordRenewal = (request) => {
    const target = request.headers()["x-amz-target"] ?? "";
    if (/GetTokensFromRefreshToken|InitiateAuth/.test(target) && /REFRESH|RefreshToken/.test(request.postData() ?? "")) {
      renewals.push(target);
    }
  };
  page.on("request", recordRenewal);
  try {
    await page.reload();
    await heading("Your files");
    await page.getByRole("button", { name: `Download ${big.name}` }).waitFor();
  } finally {
    page.off("request", recordRenewal);
  }
  assert.ok(renewals.length >= 1, "the page renewed its tokens with the refresh token");
  const after = await storedSession();
  assert.notEqual(after.accessToken.value, before.accessToken.value, "a new access token is stored");
  assert.ok(Math.abs(Number(after.clockDrift.value)) < 60_000, "the drift is measured again from the new tokens");

  // The renewed token is taken by the upload routes: a download is presigned with it.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: `Download ${big.name}` }).click(),
  ]);
  assert.equal(md5(fs.readFileSync(await download.path())), md5(big.bytes));
});

test("a file larger than the bucket takes is refused at once with a clear message", async () => {
  // A sparse file one byte over S3's 5 TiB: the browser knows its size without reading it.
  const hugePath = path.join(files, "whole-disk-image.img");
  fs.closeSync(fs.openSync(hugePath, "w"));
  fs.truncateSync(hugePath, 5 * 1024 ** 4 + 1);
  const presigned = [];
  const recordPresign = (request) => {
    if (request.url().startsWith(server.exports.aws_cloud_logic_custom[0].endpoint)) presigned.push(request.url());
  };
  page.on("request", recordPresign);
  try {
    await chooseFiles([hugePath]);
    await page.getByText(/whole-disk-image\.img exceeds maximum allowed size of 5 TB/i).first().waitFor();
    await screen("upload-too-large");
    // The message goes by itself; the next upload's messages are then the only ones shown.
    await page.getByText(/exceeds maximum allowed size/i).first().waitFor({ state: "hidden" });
  } finally {
    page.off("request", recordPresign);
    fs.rmSync(hugePath, { force: true });
  }
  assert.deepEqual(presigned, [], "nothing was asked of the server for a file it cannot take");
  assert.equal(await page.getByRole("button", { name: "Download whole-disk-image.img" }).count(), 0);
});

/** Polls `check` until it returns something truthy. */
async function eventually(check, what, timeoutMs = STEP) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("a large upload interrupted by a reload resumes from the parts already stored", async () => {
  const bucket = server.exports.aws_user_files_s3_bucket;
  const roll = { name: "camera-roll.bin", bytes: randomBytes(30 * MiB) };
  const rollPath = path.join(files, roll.name);
  fs.writeFileSync(rollPath, roll.bytes);
  const key = `${user.prefix}${roll.name}`;

  // Parts 4 to 6 are held back, so the reload comes with three parts of six stored.
  const held = /[?&]partNumber=[456](&|$)/;
  await page.route(held, () => {});
  const sent = [];
  const recordPart = (request) => {
    const part = /[?&]partNumber=(\d+)/.exec(request.url());
    if (part && request.method() === "PUT") sent.push(Number(part[1]));
  };
  page.on("request", recordPart);
  await chooseFiles([rollPath]);
  const uploadId = await eventually(async () => {
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    const upload = listed.Uploads?.[0];
    if (!upload) return null;
    const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }));
    return (parts.Parts ?? []).length === 3 ? upload.UploadId : null;
  }, "three stored parts");
  await page.screenshot({ path: path.join(browserTools.SCREENS, "upload-in-progress-wide.png"), fullPage: true });

  await page.unroute(held);
  sent.length = 0;
  await page.reload();
  await heading("Your files");
  // The upload widget restored the file from the browser's storage and offers to go on.
  await page.getByText(/restored/i).first().waitFor();
  await screen("upload-restored");
  await page.locator(".uppy-StatusBar-actionBtn--upload").click();
  await page.getByRole("button", { name: `Download ${roll.name}` }).waitFor();
  page.off("request", recordPart);

  assert.deepEqual(sent.sort(), [4, 5, 6], "after the reload only the missing parts were sent");
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  assert.equal(head.ContentLength, roll.bytes.length);
  assert.match(head.ETag, /-6"$/);
  const again = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  assert.equal((again.Uploads ?? []).some((u) => u.UploadId === uploadId), false, "the upload was completed, not restarted");
});

test("with the network down an upload says so, and Retry sends it once the network is back", async () => {
  const offline = { name: "offline-note.txt", bytes: Buffer.from("Written on the train.\n") };
  const offlinePath = path.join(files, offline.name);
  fs.writeFileSync(offlinePath, offline.bytes);
  await context.setOffline(true);
  try {
    await chooseFiles([offlinePath]);
    await page.getByText(/offline|no internet connection/i).first().waitFor();
    await screen("upload-offline");
  } finally {
    await context.setOffline(false);
  }
  await page.getByRole("button", { name: /^retry/i }).first().click();
  await page.getByRole("button", { name: `Download ${offline.name}` }).waitFor();
  assert.equal(await objectExists(s3, server.exports.aws_user_files_s3_bucket, `${user.prefix}${offline.name}`), true);
});

test("the page works with a keyboard alone: sign in, then download a file", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading("Sign in");
  await page.reload();
  await heading("Sign in");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent), "Username");
  await page.keyboard.type(user.username);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent), "Password");
  await page.keyboard.type(user.password);
  await page.keyboard.press("Enter");
  await heading("Your files");
  const name = `Download ${big.name}`;
  const download = page.getByRole("button", { name });
  await download.waitFor();
  for (let presses = 0; presses < 60; presses++) {
    if (await download.evaluate((button) => button === document.activeElement)) break;
    await page.keyboard.press("Tab");
  }
  assert.equal(await download.evaluate((button) => button === document.activeElement), true, `Tab reaches "${name}"`);
  const [saved] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
  assert.equal(md5(fs.readFileSync(await saved.path())), md5(big.bytes));
});

test("a session ended elsewhere brings the user back to sign in with a clear message", async () => {
  await admin.send("AdminUserGlobalSignOut", { UserPoolId: server.poolId, Username: user.username });
  await page.getByRole("button", { name: "Refresh" }).click();
  await heading("Sign in");
  await page.getByText("Your session has expired. Sign in again.").waitFor();
  await screen("session-expired");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await heading("Your files");
});

test("signs out, and resets a forgotten password with the mailed code", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading("Sign in");
  await page.getByRole("button", { name: "Forgot password?" }).click();
  await heading("Reset your password");
  await page.getByLabel("Username").fill(user.username);
  await screen("forgot-password");
  await page.getByRole("button", { name: "Send code" }).click();
  await page.getByLabel("Confirmation code").waitFor();
  const code = await outboxCode(server, user.email);
  const newPassword = randomPassword();
  await page.getByLabel("Confirmation code").fill(code);
  await page.getByLabel("New password").fill(newPassword);
  await screen("reset-password");
  await page.getByRole("button", { name: "Reset password" }).click();
  await heading("Your files");
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading("Sign in");
});

test("an administrator-created user chooses a new password at first sign-in", async () => {
  const username = `invited${Date.now().toString(36)}`;
  const temporary = randomPassword();
  await admin.send("AdminCreateUser", {
    UserPoolId: server.poolId,
    Username: username,
    TemporaryPassword: temporary,
    MessageAction: "SUPPRESS",
    UserAttributes: [
      { Name: "email", Value: `${username}@example.com` },
      { Name: "email_verified", Value: "true" },
    ],
  });
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(temporary);
  await page.getByRole("button", { name: "Sign in" }).click();
  await heading("Choose a new password");
  await screen("new-password");
  await page.getByLabel("New password").fill(randomPassword());
  await page.getByRole("button", { name: "Set password" }).click();
  await heading("Your files");
  await page.getByText(`Signed in as ${username}`).waitFor();
  const got = await admin.send("AdminGetUser", { UserPoolId: server.poolId, Username: username });
  assert.equal(got.UserStatus, "CONFIRMED");
});

test("nothing failed in the page and nothing was loaded from elsewhere", () => {
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
});

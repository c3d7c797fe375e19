// Spawn the real `s3cognito` binary (as DESIGN.md documents it) and talk to it with plain fetch.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { CognitoJwtVerifier } from "aws-jwt-verify";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, "..", "..", "..");
export const BIN = process.env.S3COGNITO_BIN || path.join(REPO, "target", "debug", "s3cognito");

export async function startServer({ env = {} } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`server binary not found at ${BIN} (build it or set S3COGNITO_BIN)`);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "s3cognito-node-"));
  const stderrPath = path.join(data, "..", `${path.basename(data)}.stderr.log`);
  const stderr = fs.openSync(stderrPath, "a");
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--data", data], {
    env: { ...process.env, S3COGNITO_LOG: "info", ...env },
    stdio: ["ignore", "pipe", stderr],
  });
  fs.closeSync(stderr);
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const stderrText = () => {
    try {
      return fs.readFileSync(stderrPath, "utf8").slice(-20000);
    } catch {
      return "(no stderr)";
    }
  };

  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no listening line within 60s\n${stderrText()}`));
    }, 60_000);
    const rl = readline.createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      const m = /s3cognito listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ""));
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening\n${stderrText()}`));
    });
  });

  const exports = JSON.parse(fs.readFileSync(path.join(data, "aws-exports.json"), "utf8"));

  return {
    endpoint,
    data,
    exports,
    poolId: exports.aws_user_pools_id,
    clientId: exports.aws_user_pools_web_client_id,
    stderrText,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), 30_000);
      });
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (result === null) {
        child.kill("SIGKILL");
        throw new Error(`server did not exit within 30s of SIGTERM\n${stderrText()}`);
      }
      if (result.code !== 0) {
        throw new Error(`server exited with ${result.code ?? result.signal} on SIGTERM\n${stderrText()}`);
      }
      fs.rmSync(data, { recursive: true, force: true });
      fs.rmSync(stderrPath, { force: true });
    },
  };
}

/** One cognito-idp JSON 1.1 call, unsigned. Returns {status, body, headers}. */
export async function cognito(server, operation, payload) {
  const res = await fetch(server.endpoint + "/", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(payload),
  });
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, headers: res.headers };
}

export async function cognitoOk(server, operation, payload) {
  const r = await cognito(server, operation, payload);
  if (r.status !== 200) throw new Error(`${operation}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// ---- outbox: RFC 5322 .eml files under DATA/outbox/ ------------------------------------

function listEml(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listEml(p));
    else if (entry.name.endsWith(".eml")) out.push(p);
  }
  return out;
}

function splitHeaders(raw) {
  const idx = raw.search(/\r?\n\r?\n/);
  const head = idx < 0 ? raw : raw.slice(0, idx);
  const body = idx < 0 ? "" : raw.slice(idx).replace(/^\r?\n\r?\n/, "");
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) headers[m[1].toLowerCase()] = (headers[m[1].toLowerCase()] ? headers[m[1].toLowerCase()] + ", " : "") + m[2];
  }
  return { headers, body };
}

function decodePart(headers, body) {
  const cte = (headers["content-transfer-encoding"] || "").toLowerCase().trim();
  if (cte === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (cte === "quoted-printable") {
    const bytes = Buffer.from(
      body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))),
      "latin1",
    );
    return bytes.toString("utf8");
  }
  return body;
}

/** All text/* content of a message, decoded (handles multipart, base64 and quoted-printable). */
function messageText(raw) {
  const { headers, body } = splitHeaders(raw);
  const ctype = headers["content-type"] || "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(ctype);
  if (/^multipart\//i.test(ctype) && boundary) {
    const parts = body.split(`--${boundary[1]}`).slice(1);
    return parts
      .filter((p) => !p.startsWith("--"))
      .map((p) => messageText(p.replace(/^\r?\n/, "")))
      .join("\n");
  }
  if (/^text\//i.test(ctype)) return decodePart(headers, body);
  return "";
}

/** The 6-digit code in the newest mail to `address`, waiting a little for it to arrive. */
export async function outboxCode(server, address, { timeoutMs = 10_000 } = {}) {
  const dir = path.join(server.data, "outbox");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = listEml(dir)
      .map((p) => ({ p, mtime: fs.statSync(p).mtimeMs, raw: fs.readFileSync(p, "utf8") }))
      .filter(({ raw }) => {
        const { headers } = splitHeaders(raw);
        return (headers["to"] || "").toLowerCase().includes(address.toLowerCase());
      })
      .sort((a, b) => a.mtime - b.mtime || a.p.localeCompare(b.p));
    if (mails.length) {
      const text = messageText(mails[mails.length - 1].raw);
      const m = /\b\d{6}\b/.exec(text);
      if (!m) throw new Error(`no 6-digit code in the newest mail to ${address}:\n${text}`);
      return m[0];
    }
    if (Date.now() > deadline) throw new Error(`no mail for ${address} under ${dir}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function claims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

// ---- root credentials, random passwords, a record of the calls a library makes -----------

/** The root access key from DATA/credentials (the `[s3cognito]` profile). */
export function rootCredentials(server) {
  const text = fs.readFileSync(path.join(server.data, "credentials"), "utf8");
  let section = null;
  const profiles = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1].trim();
      profiles[section] = {};
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && section) profiles[section][kv[1]] = kv[2];
  }
  const p = profiles.s3cognito;
  if (!p) throw new Error("credentials file has no [s3cognito] profile");
  return { accessKeyId: p.aws_access_key_id, secretAccessKey: p.aws_secret_access_key };
}

/** A password that meets the default policy (upper, lower, digit, symbol). */
export function randomPassword() {
  return `Pw${Math.random().toString(36).slice(2, 10)}!9Z`;
}

/**
 * Records the JSON-protocol calls made through the global `fetch` (amazon-cognito-identity-js and
 * Amplify both use it), by their X-Amz-Target: `{service, operation, url, request, status, response}`.
 * With `service`, only that service's calls are kept; with `endpoint`, any request elsewhere is refused
 * and listed in `foreign`, so a missed endpoint option shows up as a failure. `restore()` puts fetch back.
 */
export function recordCalls({ service, endpoint } = {}) {
  const original = globalThis.fetch;
  const calls = [];
  const foreign = [];
  globalThis.fetch = async (input, init = {}) => {
    const url = String(input instanceof Request ? input.url : input);
    if (endpoint && !url.startsWith(endpoint + "/")) {
      foreign.push(url);
      throw new TypeError(`test refuses a request outside the server: ${url}`);
    }
    const headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
    const [target, operation] = (headers.get("x-amz-target") || "").split(".");
    const res = await original(input, init);
    if (operation && (!service || target === service)) {
      let request = {};
      try {
        request = typeof init.body === "string" ? JSON.parse(init.body) : {};
      } catch {
        request = {};
      }
      let response = {};
      try {
        response = await res.clone().json();
      } catch {
        response = {};
      }
      calls.push({ service: target, operation, url, request, status: res.status, response });
    }
    return res;
  };
  return {
    calls,
    foreign,
    of: (wanted) => calls.filter((c) => c.service === wanted),
    operations: () => calls.map((c) => c.operation),
    clear: () => calls.splice(0, calls.length),
    restore: () => {
      globalThis.fetch = original;
    },
  };
}

/** The cognito-idp calls only (see `recordCalls`). */
export const USER_POOL_SERVICE = "AWSCognitoIdentityProviderService";

/**
 * The AWS SDK for JavaScript v3 cognito-idp client, SigV4-signed with the root credentials and
 * pointed at the server: what an operator's script uses for the admin calls.
 */
export async function adminClient(server) {
  const sdk = await import("@aws-sdk/client-cognito-identity-provider");
  const client = new sdk.CognitoIdentityProviderClient({
    region: "us-east-1",
    endpoint: server.endpoint,
    credentials: rootCredentials(server),
    maxAttempts: 1,
  });
  const send = (name, input) => client.send(new sdk[`${name}Command`](input));
  return { client, sdk, send };
}

/** AdminCreateUser (mail suppressed) and, with `password`, AdminSetUserPassword Permanent=true. */
export async function adminUser(admin, server, { username, email, password, temporary } = {}) {
  const name = username || `node${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const attributes = email
    ? [
        { Name: "email", Value: email },
        { Name: "email_verified", Value: "true" },
      ]
    : [];
  await admin.send("AdminCreateUser", {
    UserPoolId: server.poolId,
    Username: name,
    UserAttributes: attributes,
    MessageAction: "SUPPRESS",
    ...(temporary ? { TemporaryPassword: temporary } : {}),
  });
  if (password) {
    await admin.send("AdminSetUserPassword", {
      UserPoolId: server.poolId,
      Username: name,
      Password: password,
      Permanent: true,
    });
  }
  return name;
}

/** aws-jwt-verify's Cognito verifier for the server's pool and client, fed the server's JWKS so it never reaches AWS. */
export function jwtVerifier(server, jwks, tokenUse) {
  const verifier = CognitoJwtVerifier.create({ userPoolId: server.poolId, clientId: server.clientId, tokenUse });
  verifier.cacheJwks(jwks);
  return verifier;
}

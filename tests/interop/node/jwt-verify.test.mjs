// aws-jwt-verify (what API Gateway authorizers and Lambda@Edge use) accepts our tokens.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { JwtInvalidSignatureError, JwtParseError } from "aws-jwt-verify/error";
import { claims, cognito, cognitoOk, jwtVerifier, outboxCode, startServer } from "./helpers.mjs";

let server;
let jwks;
let tokens;
let username;

before(async () => {
  server = await startServer();

  const res = await fetch(`${server.endpoint}/${server.poolId}/.well-known/jwks.json`);
  assert.equal(res.status, 200, "JWKS status");
  jwks = await res.json();
  assert.ok(Array.isArray(jwks.keys) && jwks.keys.length > 0, "JWKS has keys");

  username = `node${Date.now().toString(36)}`;
  const email = `${username}@example.com`;
  const password = "N0de!Password";
  const signed = await cognitoOk(server, "SignUp", {
    ClientId: server.clientId,
    Username: username,
    Password: password,
    UserAttributes: [{ Name: "email", Value: email }],
  });
  assert.equal(signed.UserConfirmed, false);

  const code = await outboxCode(server, email);
  await cognitoOk(server, "ConfirmSignUp", { ClientId: server.clientId, Username: username, ConfirmationCode: code });

  const auth = await cognitoOk(server, "InitiateAuth", {
    ClientId: server.clientId,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  tokens = auth.AuthenticationResult;
  assert.ok(tokens.IdToken && tokens.AccessToken && tokens.RefreshToken, "tokens issued");
});

after(async () => {
  if (server) await server.stop();
});

function verifier(tokenUse) {
  return jwtVerifier(server, jwks, tokenUse);
}

test("aws-jwt-verify accepts our ID token", async () => {
  const v = verifier("id");
  const payload = await v.verify(tokens.IdToken);
  assert.equal(payload.token_use, "id");
  assert.equal(payload["cognito:username"], username);
  assert.equal(payload.aud, server.clientId);
  // Synchronous verification only uses the cached JWKS.
  assert.equal(v.verifySync(tokens.IdToken).sub, payload.sub);
});

test("aws-jwt-verify accepts our access token", async () => {
  const v = verifier("access");
  const payload = await v.verify(tokens.AccessToken);
  assert.equal(payload.token_use, "access");
  assert.equal(payload.username, username);
  assert.equal(payload.client_id, server.clientId);
  assert.equal(v.verifySync(tokens.AccessToken).sub, payload.sub);
});

test("either token use, as API gateways configure it", async () => {
  const v = verifier(null);
  assert.equal((await v.verify(tokens.IdToken)).token_use, "id");
  assert.equal((await v.verify(tokens.AccessToken)).token_use, "access");
});

function tamper(token) {
  const [h, p, s] = token.split(".");
  const i = Math.floor(p.length / 2);
  const swapped = p[i] === "A" ? "B" : "A";
  return [h, p.slice(0, i) + swapped + p.slice(i + 1), s].join(".");
}

test("a tampered token is rejected", async () => {
  for (const [use, token] of [
    ["id", tokens.IdToken],
    ["access", tokens.AccessToken],
  ]) {
    const v = verifier(use);
    // Rejected for its signature (or unparseable payload), never for want of keys.
    const rejected = (err) => err instanceof JwtInvalidSignatureError || err instanceof JwtParseError;
    await assert.rejects(() => v.verify(tamper(token)), rejected);
    assert.throws(() => v.verifySync(tamper(token)), rejected);
  }
});

test("an ID token is rejected where an access token is expected", async () => {
  await assert.rejects(() => verifier("access").verify(tokens.IdToken), /token use|token_use/i);
  await assert.rejects(() => verifier("id").verify(tokens.AccessToken), /token use|token_use/i);
});

test("a token for another client id is rejected", async () => {
  const v = CognitoJwtVerifier.create({ userPoolId: server.poolId, clientId: "someotherclientid123456", tokenUse: "id" });
  v.cacheJwks(jwks);
  await assert.rejects(() => v.verify(tokens.IdToken));
});

test("OIDC discovery matches the tokens", async () => {
  const res = await fetch(`${server.endpoint}/${server.poolId}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  const doc = await res.json();
  const iss = claims(tokens.IdToken).iss;
  assert.equal(doc.issuer, iss);
  assert.equal(iss, `https://cognito-idp.us-east-1.amazonaws.com/${server.poolId}`);
  assert.equal(claims(tokens.AccessToken).iss, iss);
  assert.equal(typeof doc.jwks_uri, "string");
  assert.match(doc.jwks_uri, /\/\.well-known\/jwks\.json$/);
  // The advertised JWKS is the one we verified with.
  const kid = JSON.parse(Buffer.from(tokens.IdToken.split(".")[0], "base64url").toString()).kid;
  assert.ok(jwks.keys.some((k) => k.kid === kid), "token kid is in the JWKS");
});

test("public calls answer AWS-shaped errors", async () => {
  const r = await cognito(server, "InitiateAuth", {
    ClientId: server.clientId,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: username, PASSWORD: "Wr0ng!Password" },
  });
  assert.equal(r.status, 400);
  assert.equal(r.body.__type.split("#").pop(), "NotAuthorizedException");
  assert.equal(r.body.message, "Incorrect username or password.");
  assert.equal((r.headers.get("x-amzn-errortype") || "").split(":")[0], "NotAuthorizedException");
});

// Amplify v6 in Node, unchanged apart from `userPoolEndpoint`: signIn (SRP by default),
// fetchAuthSession, a forced refresh through GetTokensFromRefreshToken, signOut through RevokeToken.
// Node has no localStorage; Amplify falls back to memory, and we hand it a small in-memory
// KeyValueStorage of our own so the test can see the refresh token it keeps.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Amplify } from "aws-amplify";
import { confirmSignIn, fetchAuthSession, getCurrentUser, signIn, signOut } from "aws-amplify/auth";
import { cognitoUserPoolsTokenProvider } from "aws-amplify/auth/cognito";
import { adminClient, adminUser, cognito, jwtVerifier, recordCalls, USER_POOL_SERVICE, startServer } from "./helpers.mjs";

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  async setItem(key, value) {
    this.items.set(key, value);
  }
  async getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  async removeItem(key) {
    this.items.delete(key);
  }
  async clear() {
    this.items.clear();
  }
  refreshToken() {
    for (const [key, value] of this.items) if (key.endsWith(".refreshToken")) return value;
    return null;
  }
}

let server;
let admin;
let jwks;
let recorder;
const storage = new MemoryStorage();

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  const res = await fetch(`${server.endpoint}/${server.poolId}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  jwks = await res.json();

  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: server.poolId,
        userPoolClientId: server.clientId,
        userPoolEndpoint: server.endpoint,
      },
    },
  });
  cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
  recorder = recordCalls({ service: USER_POOL_SERVICE });
});

after(async () => {
  recorder?.restore();
  admin?.client.destroy();
  if (server) await server.stop();
});

function verifier(tokenUse) {
  return jwtVerifier(server, jwks, tokenUse);
}

function call(operation) {
  const found = recorder.calls.filter((c) => c.operation === operation);
  assert.ok(found.length > 0, `no ${operation} call (calls: ${recorder.operations().join(", ")})`);
  return found[found.length - 1];
}

test("signIn, fetchAuthSession, forced refresh, signOut; the old refresh token is then refused", async () => {
  const email = `amp${Date.now().toString(36)}@example.com`;
  const password = "Ampl1fy!Pass";
  const username = await adminUser(admin, server, { email, password });

  // signIn: SRP by default.
  recorder.clear();
  const result = await signIn({ username, password });
  assert.equal(result.isSignedIn, true, JSON.stringify(result.nextStep));
  assert.equal(result.nextStep.signInStep, "DONE");
  assert.equal(call("InitiateAuth").request.AuthFlow, "USER_SRP_AUTH");
  assert.equal(call("InitiateAuth").response.ChallengeName, "PASSWORD_VERIFIER");
  assert.equal(call("RespondToAuthChallenge").request.ChallengeName, "PASSWORD_VERIFIER");
  assert.equal(call("RespondToAuthChallenge").status, 200);

  const current = await getCurrentUser();
  assert.equal(current.username, username);

  // fetchAuthSession: the tokens from the sign-in, verifiable against our JWKS.
  const session = await fetchAuthSession();
  assert.ok(session.tokens?.accessToken && session.tokens?.idToken, "tokens in the session");
  const access = session.tokens.accessToken.toString();
  const id = session.tokens.idToken.toString();
  assert.equal((await verifier("access").verify(access)).username, username);
  const idClaims = await verifier("id").verify(id);
  assert.equal(idClaims["cognito:username"], username);
  assert.equal(idClaims.email, email);
  assert.equal(session.userSub, idClaims.sub);
  const refreshToken = storage.refreshToken();
  assert.ok(refreshToken, "Amplify kept a refresh token");

  // A forced refresh: GetTokensFromRefreshToken, new tokens.
  recorder.clear();
  const refreshed = await fetchAuthSession({ forceRefresh: true });
  const refreshCall = call("GetTokensFromRefreshToken");
  assert.equal(refreshCall.status, 200, JSON.stringify(refreshCall.response));
  assert.equal(refreshCall.request.RefreshToken, refreshToken);
  const newAccess = refreshed.tokens.accessToken.toString();
  assert.notEqual(newAccess, access, "the access token changed");
  assert.notEqual(refreshed.tokens.idToken.toString(), id, "the id token changed");
  assert.equal((await verifier("access").verify(newAccess)).username, username);
  assert.equal((await verifier("id").verify(refreshed.tokens.idToken.toString()))["cognito:username"], username);
  const currentRefresh = storage.refreshToken();
  assert.ok(currentRefresh);

  // signOut: RevokeToken with the refresh token Amplify holds (Amplify swallows its errors, so look).
  recorder.clear();
  await signOut();
  const revoke = call("RevokeToken");
  assert.equal(revoke.status, 200, JSON.stringify(revoke.response));
  assert.equal(revoke.request.Token, currentRefresh);
  assert.equal(storage.refreshToken(), null, "Amplify forgot the tokens");
  const gone = await fetchAuthSession();
  assert.equal(gone.tokens, undefined);

  // The revoked refresh token no longer works, neither the old way nor the new one.
  for (const token of new Set([refreshToken, currentRefresh])) {
    const r = await cognito(server, "InitiateAuth", {
      ClientId: server.clientId,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: token },
    });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.__type.split("#").pop(), "NotAuthorizedException");
    const g = await cognito(server, "GetTokensFromRefreshToken", { ClientId: server.clientId, RefreshToken: token });
    assert.equal(g.status, 400, JSON.stringify(g.body));
    assert.equal(g.body.__type.split("#").pop(), "NotAuthorizedException");
  }
  // The access token of that session is refused too (RevokeToken revokes what the refresh token issued).
  const r = await cognito(server, "GetUser", { AccessToken: newAccess });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.__type.split("#").pop(), "NotAuthorizedException");
});

test("signIn with a wrong password: NotAuthorizedException", async () => {
  const password = "Ampl1fy!Pass";
  const username = await adminUser(admin, server, { password });
  await assert.rejects(signIn({ username, password: "Wr0ng!Password" }), (err) => {
    assert.equal(err.name, "NotAuthorizedException");
    assert.equal(err.message, "Incorrect username or password.");
    return true;
  });
  assert.equal(call("InitiateAuth").request.AuthFlow, "USER_SRP_AUTH");
  assert.equal((await fetchAuthSession()).tokens, undefined);
});

test("an admin-created user: CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED, then confirmSignIn", async () => {
  const email = `ampnew${Date.now().toString(36)}@example.com`;
  const temporary = "Temp0rary!Amp";
  const username = await adminUser(admin, server, { email, temporary });

  const first = await signIn({ username, password: temporary });
  assert.equal(first.isSignedIn, false);
  assert.equal(first.nextStep.signInStep, "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED");

  const done = await confirmSignIn({ challengeResponse: "Brand!New0Amp" });
  assert.equal(done.isSignedIn, true, JSON.stringify(done.nextStep));
  const session = await fetchAuthSession();
  assert.equal((await verifier("id").verify(session.tokens.idToken.toString()))["cognito:username"], username);
  const got = await admin.send("AdminGetUser", { UserPoolId: server.poolId, Username: username });
  assert.equal(got.UserStatus, "CONFIRMED");

  await signOut();
  const again = await signIn({ username, password: "Brand!New0Amp" });
  assert.equal(again.isSignedIn, true);
  await signOut();
});

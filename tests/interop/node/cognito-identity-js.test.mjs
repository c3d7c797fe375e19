// amazon-cognito-identity-js (the client library of a React upload page) in Node, unchanged: its
// default sign-in is USER_SRP_AUTH answered by PASSWORD_VERIFIER, computed by the library itself.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { adminClient, adminUser, jwtVerifier, recordCalls, USER_POOL_SERVICE, startServer } from "./helpers.mjs";

let server;
let admin;
let pool;
let jwks;
let recorder;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  // The endpoint option is what a self-hosted Cognito needs; nothing else changes.
  pool = new CognitoUserPool({ UserPoolId: server.poolId, ClientId: server.clientId, endpoint: `${server.endpoint}/` });
  const res = await fetch(`${server.endpoint}/${server.poolId}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  jwks = await res.json();
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

/** authenticateUser as a promise: resolves {kind: "success", session} or {kind: "newPasswordRequired", …}. */
function authenticate(user, username, password) {
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return new Promise((resolve, reject) => {
    user.authenticateUser(details, {
      onSuccess: (session) => resolve({ kind: "success", session }),
      onFailure: (err) => reject(err),
      newPasswordRequired: (userAttributes, requiredAttributes) =>
        resolve({ kind: "newPasswordRequired", userAttributes, requiredAttributes }),
      mfaRequired: () => reject(new Error("unexpected mfaRequired")),
      totpRequired: () => reject(new Error("unexpected totpRequired")),
      mfaSetup: () => reject(new Error("unexpected mfaSetup")),
      selectMFAType: () => reject(new Error("unexpected selectMFAType")),
      customChallenge: () => reject(new Error("unexpected customChallenge")),
    });
  });
}

function newUser(username) {
  return new CognitoUser({ Username: username, Pool: pool });
}

test("authenticateUser with the right password signs in with SRP; the tokens verify", async () => {
  const email = `srp${Date.now().toString(36)}@example.com`;
  const password = "Js!Passw0rd";
  const username = await adminUser(admin, server, { email, password });
  const user = newUser(username);
  assert.equal(user.getAuthenticationFlowType(), "USER_SRP_AUTH", "the library's default flow");

  recorder.clear();
  const result = await authenticate(user, username, password);
  assert.equal(result.kind, "success");
  const session = result.session;
  assert.ok(session.isValid());

  // What went over the wire: SRP, not the password.
  const calls = recorder.calls;
  assert.deepEqual(
    calls.map((c) => c.operation),
    ["InitiateAuth", "RespondToAuthChallenge"],
  );
  assert.equal(calls[0].request.AuthFlow, "USER_SRP_AUTH");
  assert.ok(calls[0].request.AuthParameters.SRP_A);
  assert.equal(calls[0].request.AuthParameters.PASSWORD, undefined);
  assert.equal(calls[0].response.ChallengeName, "PASSWORD_VERIFIER");
  assert.equal(calls[1].request.ChallengeName, "PASSWORD_VERIFIER");
  assert.equal(calls[1].status, 200);
  assert.equal(calls[1].response.AuthenticationResult.NewDeviceMetadata, undefined, "device tracking stays off");

  const idToken = session.getIdToken().getJwtToken();
  const accessToken = session.getAccessToken().getJwtToken();
  const id = await verifier("id").verify(idToken);
  assert.equal(id["cognito:username"], username);
  assert.equal(id.email, email);
  assert.equal(id.aud, server.clientId);
  const access = await verifier("access").verify(accessToken);
  assert.equal(access.username, username);
  assert.equal(access.client_id, server.clientId);
  assert.equal(session.getIdToken().payload["cognito:username"], username);
  assert.ok(session.getRefreshToken().getToken());

  // The library keeps the session: getSession answers from it, getUserAttributes uses it.
  const again = await new Promise((resolve, reject) =>
    pool.getCurrentUser().getSession((err, s) => (err ? reject(err) : resolve(s))),
  );
  assert.equal(again.getAccessToken().getJwtToken(), accessToken);
  const attributes = await new Promise((resolve, reject) =>
    user.getUserAttributes((err, a) => (err ? reject(err) : resolve(a))),
  );
  assert.equal(attributes.find((a) => a.getName() === "email").getValue(), email);

  // refreshSession (REFRESH_TOKEN_AUTH) gives new tokens that verify too.
  const refreshed = await new Promise((resolve, reject) =>
    user.refreshSession(session.getRefreshToken(), (err, s) => (err ? reject(err) : resolve(s))),
  );
  assert.notEqual(refreshed.getAccessToken().getJwtToken(), accessToken);
  assert.equal((await verifier("access").verify(refreshed.getAccessToken().getJwtToken())).username, username);
});

test("a wrong password gets NotAuthorizedException", async () => {
  const password = "Js!Passw0rd";
  const username = await adminUser(admin, server, { password });
  await assert.rejects(authenticate(newUser(username), username, "Wr0ng!Password"), (err) => {
    assert.equal(err.code, "NotAuthorizedException");
    assert.equal(err.name, "NotAuthorizedException");
    assert.equal(err.message, "Incorrect username or password.");
    return true;
  });
  // And an unknown user the same way (PreventUserExistenceErrors).
  const ghost = `ghost${Date.now().toString(36)}`;
  await assert.rejects(authenticate(newUser(ghost), ghost, password), (err) => {
    assert.equal(err.code, "NotAuthorizedException");
    assert.equal(err.message, "Incorrect username or password.");
    return true;
  });
  // The right password still works afterwards.
  const ok = await authenticate(newUser(username), username, password);
  assert.equal(ok.kind, "success");
});

test("an admin-created user gets newPasswordRequired and completeNewPasswordChallenge signs in", async () => {
  const email = `new${Date.now().toString(36)}@example.com`;
  const temporary = "Temp0rary!Js";
  const username = await adminUser(admin, server, { email, temporary });
  const before = await admin.send("AdminGetUser", { UserPoolId: server.poolId, Username: username });
  assert.equal(before.UserStatus, "FORCE_CHANGE_PASSWORD");

  const user = newUser(username);
  const challenge = await authenticate(user, username, temporary);
  assert.equal(challenge.kind, "newPasswordRequired");
  // userAttributes / requiredAttributes arrive as JSON strings the library parses.
  assert.equal(challenge.userAttributes.email, email);
  assert.ok(Array.isArray(challenge.requiredAttributes));

  const newPassword = "Brand!New0Js";
  const session = await new Promise((resolve, reject) =>
    user.completeNewPasswordChallenge(newPassword, {}, {
      onSuccess: (s) => resolve(s),
      onFailure: (err) => reject(err),
      mfaRequired: () => reject(new Error("unexpected mfaRequired")),
      mfaSetup: () => reject(new Error("unexpected mfaSetup")),
      totpRequired: () => reject(new Error("unexpected totpRequired")),
    }),
  );
  const id = await verifier("id").verify(session.getIdToken().getJwtToken());
  assert.equal(id["cognito:username"], username);
  const after = await admin.send("AdminGetUser", { UserPoolId: server.poolId, Username: username });
  assert.equal(after.UserStatus, "CONFIRMED");

  // Next time: the new password signs straight in, the temporary one no longer does.
  assert.equal((await authenticate(newUser(username), username, newPassword)).kind, "success");
  await assert.rejects(authenticate(newUser(username), username, temporary), (err) => {
    assert.equal(err.code, "NotAuthorizedException");
    return true;
  });
});

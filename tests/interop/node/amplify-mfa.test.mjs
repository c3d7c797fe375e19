// Amplify v6 in Node signing in to a pool that requires software-token (TOTP) MFA, unchanged apart from
// `userPoolEndpoint`: the first signIn sets the token up (CONTINUE_SIGN_IN_WITH_TOTP_SETUP, then
// confirmSignIn with a code, which Amplify sends through VerifySoftwareToken and MFA_SETUP); later ones
// ask for a code (CONFIRM_SIGN_IN_WITH_TOTP_CODE). Codes come from the `otpauth` TOTP library. A wrong code
// and a code used twice are refused; fetchMFAPreference reads what GetUser says.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Amplify } from "aws-amplify";
import { confirmSignIn, fetchMFAPreference, signIn, signOut } from "aws-amplify/auth";
import * as OTPAuth from "otpauth";
import { adminClient, adminUser, recordCalls, startServer, USER_POOL_SERVICE } from "./helpers.mjs";

let server;
let admin;
let recorder;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  await admin.send("SetUserPoolMfaConfig", {
    UserPoolId: server.poolId,
    MfaConfiguration: "ON",
    SoftwareTokenMfaConfiguration: { Enabled: true },
  });
  Amplify.configure({
    Auth: { Cognito: { userPoolId: server.poolId, userPoolClientId: server.clientId, userPoolEndpoint: server.endpoint } },
  });
  recorder = recordCalls({ service: USER_POOL_SERVICE });
});

after(async () => {
  recorder?.restore();
  admin?.client.destroy();
  if (server) await server.stop();
});

/** The authenticator's code for the step `offset` steps from now (the server takes one step either way). */
function code(secret, offset = 0) {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

function lastCall(operation) {
  const found = recorder.calls.filter((c) => c.operation === operation);
  assert.ok(found.length > 0, `no ${operation} call (calls: ${recorder.operations().join(", ")})`);
  return found[found.length - 1];
}

test("the first sign-in sets up a software token; every later one asks for its code", async () => {
  const password = "Ampl1fy!Totp";
  const username = await adminUser(admin, server, { password });

  recorder.clear();
  const first = await signIn({ username, password });
  assert.equal(first.nextStep.signInStep, "CONTINUE_SIGN_IN_WITH_TOTP_SETUP", JSON.stringify(first.nextStep));
  const secret = first.nextStep.totpSetupDetails.sharedSecret;
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.match(first.nextStep.totpSetupDetails.getSetupUri("s3cognito").href, /^otpauth:\/\/totp\//);
  assert.equal(lastCall("AssociateSoftwareToken").status, 200);

  await assert.rejects(confirmSignIn({ challengeResponse: "000000" }), (error) => {
    assert.equal(error.name, "EnableSoftwareTokenMFAException");
    return true;
  });
  const done = await confirmSignIn({ challengeResponse: code(secret), options: { friendlyDeviceName: "laptop" } });
  assert.equal(done.isSignedIn, true, JSON.stringify(done.nextStep));
  assert.equal(lastCall("VerifySoftwareToken").response.Status, "SUCCESS");
  assert.equal(lastCall("RespondToAuthChallenge").request.ChallengeName, "MFA_SETUP");
  const preference = await fetchMFAPreference();
  assert.deepEqual(preference.enabled, ["TOTP"]);
  assert.equal(preference.preferred, "TOTP");
  await signOut();

  const second = await signIn({ username, password });
  assert.equal(second.nextStep.signInStep, "CONFIRM_SIGN_IN_WITH_TOTP_CODE", JSON.stringify(second.nextStep));
  await assert.rejects(confirmSignIn({ challengeResponse: "111111" === code(secret, 1) ? "222222" : "111111" }), (error) => {
    assert.equal(error.name, "CodeMismatchException");
    return true;
  });
  const next = code(secret, 1);
  const signedIn = await confirmSignIn({ challengeResponse: next });
  assert.equal(signedIn.isSignedIn, true, JSON.stringify(signedIn.nextStep));
  const answered = lastCall("RespondToAuthChallenge");
  assert.equal(answered.request.ChallengeName, "SOFTWARE_TOKEN_MFA");
  assert.equal(answered.request.ChallengeResponses.SOFTWARE_TOKEN_MFA_CODE, next);
  await signOut();

  // The code just used, in a new sign-in: refused.
  const third = await signIn({ username, password });
  assert.equal(third.nextStep.signInStep, "CONFIRM_SIGN_IN_WITH_TOTP_CODE");
  await assert.rejects(confirmSignIn({ challengeResponse: next }), (error) => {
    assert.equal(error.name, "ExpiredCodeException");
    assert.equal(error.message, "Your software token has already been used once.");
    return true;
  });
});

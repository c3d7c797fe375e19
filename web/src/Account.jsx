// Signing in and the account's other screens, on Amplify's Cognito client (SRP sign-in): sign in,
// create an account and confirm it with the mailed code, the new password an administrator-created
// user must choose, and a forgotten password reset by code. Every page of this build signs in here;
// each says in `intro` what signing in leads to.
import { useId, useState } from "react";
import {
  confirmResetPassword,
  confirmSignIn,
  confirmSignUp,
  resendSignUpCode,
  resetPassword,
  signIn,
  signUp,
} from "aws-amplify/auth";
import { describe } from "./api.js";

function Field({ label, type = "text", value, onChange, autoComplete, hint, ...rest }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        autoComplete={autoComplete}
        aria-describedby={hint ? `${id}-hint` : undefined}
        required
        {...rest}
      />
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

function Message({ error, info }) {
  if (error) {
    return (
      <p role="alert" className="message error">
        {error}
      </p>
    );
  }
  if (info) {
    return (
      <p role="status" className="message info">
        {info}
      </p>
    );
  }
  return null;
}

/** A form whose submit runs `action`, showing what failed. */
function Form({ title, intro, submit, action, children, footer, error, info, busy }) {
  return (
    <main className="card narrow">
      <h1>{title}</h1>
      {intro && <p>{intro}</p>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          action();
        }}
        aria-busy={busy}
      >
        {children}
        <Message error={error} info={info} />
        <button type="submit" disabled={busy}>
          {submit}
        </button>
      </form>
      {footer && <div className="links">{footer}</div>}
    </main>
  );
}

const PASSWORD_HINT = "At least 8 characters, with upper and lower case letters, a digit and a symbol.";

export function Account({ intro, notice, onSignedIn }) {
  const [screen, setScreen] = useState("signIn");
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [code, setCode] = useState("");
  const [missing, setMissing] = useState([]);
  const [error, setError] = useState(null);
  const [info, setInfo] = useState(notice);
  const [busy, setBusy] = useState(false);

  const go = (next, message = null) => {
    setScreen(next);
    setError(null);
    setInfo(message);
    setCode("");
  };

  const run = (work) => async () => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  };

  /** What to do after a sign-in step. */
  const follow = async ({ isSignedIn, nextStep }) => {
    if (isSignedIn || nextStep.signInStep === "DONE") {
      setPassword("");
      setNewPassword("");
      await onSignedIn();
      return;
    }
    switch (nextStep.signInStep) {
      case "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED":
        setMissing((nextStep.missingAttributes ?? []).filter((name) => name === "email"));
        go("newPassword", "Your account needs a new password before its first use.");
        return;
      case "CONFIRM_SIGN_UP":
        await resendSignUpCode({ username });
        go("confirm", "Your account is not confirmed yet. We sent you a new confirmation code.");
        return;
      case "RESET_PASSWORD":
        await resetPassword({ username });
        go("reset", "Your password must be reset. We sent you a code.");
        return;
      default:
        throw new Error(`This account needs a sign-in step this page does not offer (${nextStep.signInStep}).`);
    }
  };

  // What several screens share.
  const shown = { error, info, busy };
  const backToSignIn = (
    <button type="button" className="link" onClick={() => go("signIn")}>
      Back to sign in
    </button>
  );
  const codeField = (
    <Field label="Confirmation code" value={code} onChange={setCode} autoComplete="one-time-code" inputMode="numeric" />
  );
  const chosenPassword = (label, value, onChange) => (
    <Field
      label={label}
      type="password"
      value={value}
      onChange={onChange}
      autoComplete="new-password"
      hint={PASSWORD_HINT}
    />
  );

  switch (screen) {
    case "signUp":
      return (
        <Form
          title="Create account"
          submit="Create account"
          {...shown}
          action={run(async () => {
            const result = await signUp({ username, password, options: { userAttributes: { email } } });
            if (result.isSignUpComplete) {
              await follow(await signIn({ username, password }));
            } else {
              go("confirm", `We sent a confirmation code to ${email}.`);
            }
          })}
          footer={
            <button type="button" className="link" onClick={() => go("signIn")}>
              I have an account: sign in
            </button>
          }
        >
          <Field label="Username" value={username} onChange={setUsername} autoComplete="username" />
          <Field label="Email" type="email" value={email} onChange={setEmail} autoComplete="email" />
          {chosenPassword("Password", password, setPassword)}
        </Form>
      );
    case "confirm":
      return (
        <Form
          title="Confirm your account"
          intro={`Enter the code we sent for ${username}.`}
          submit="Confirm"
          {...shown}
          action={run(async () => {
            await confirmSignUp({ username, confirmationCode: code.trim() });
            if (password) {
              await follow(await signIn({ username, password }));
            } else {
              go("signIn", "Your account is confirmed. Sign in.");
            }
          })}
          footer={
            <>
              <button
                type="button"
                className="link"
                onClick={run(async () => {
                  await resendSignUpCode({ username });
                  setInfo("We sent a new code.");
                })}
              >
                Send a new code
              </button>
              {backToSignIn}
            </>
          }
        >
          {codeField}
        </Form>
      );
    case "newPassword":
      return (
        <Form
          title="Choose a new password"
          submit="Set password"
          {...shown}
          action={run(async () => {
            const userAttributes = missing.includes("email") ? { email } : undefined;
            await follow(await confirmSignIn({ challengeResponse: newPassword, options: { userAttributes } }));
          })}
        >
          {missing.includes("email") && (
            <Field label="Email" type="email" value={email} onChange={setEmail} autoComplete="email" />
          )}
          {chosenPassword("New password", newPassword, setNewPassword)}
        </Form>
      );
    case "forgot":
      return (
        <Form
          title="Reset your password"
          intro="We will send a code to the email address of your account."
          submit="Send code"
          {...shown}
          action={run(async () => {
            await resetPassword({ username });
            go("reset", "If the account exists, a code is on its way.");
          })}
          footer={backToSignIn}
        >
          <Field label="Username" value={username} onChange={setUsername} autoComplete="username" />
        </Form>
      );
    case "reset":
      return (
        <Form
          title="Reset your password"
          intro={`Enter the code we sent for ${username} and your new password.`}
          submit="Reset password"
          {...shown}
          action={run(async () => {
            await confirmResetPassword({ username, confirmationCode: code.trim(), newPassword });
            setPassword(newPassword);
            await follow(await signIn({ username, password: newPassword }));
          })}
          footer={backToSignIn}
        >
          {codeField}
          {chosenPassword("New password", newPassword, setNewPassword)}
        </Form>
      );
    default:
      return (
        <Form
          title="Sign in"
          intro={intro}
          submit="Sign in"
          {...shown}
          action={run(async () => follow(await signIn({ username, password })))}
          footer={
            <>
              <button type="button" className="link" onClick={() => go("signUp")}>
                Create account
              </button>
              <button type="button" className="link" onClick={() => go("forgot")}>
                Forgot password?
              </button>
            </>
          }
        >
          <Field label="Username" value={username} onChange={setUsername} autoComplete="username" />
          <Field
            label="Password"
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete="current-password"
          />
        </Form>
      );
  }
}

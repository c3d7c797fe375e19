// What every page of this build shows around its signed-in content: the sign-in screens while nobody is
// signed in, and a header with who is and a way to sign out. Amplify keeps the session in the browser's
// storage, which every page of this server shares, so signing in on one page signs in on all of them.
import { useCallback, useEffect, useState } from "react";
import { Hub } from "aws-amplify/utils";
import { fetchAuthSession, getCurrentUser, signOut } from "aws-amplify/auth";
import { Account } from "./Account.jsx";
import { SessionExpired } from "./api.js";

/** The signed-in user as the page shows them, or null. */
async function currentUser() {
  try {
    const user = await getCurrentUser();
    const { tokens } = await fetchAuthSession();
    if (!tokens?.accessToken) return null;
    const email = tokens.idToken?.payload?.email;
    return { username: user.username, sub: user.userId, email: typeof email === "string" ? email : null };
  } catch {
    return null;
  }
}

/**
 * Renders `children({user, signOut, expire})` for the signed-in user, and the sign-in screens (with
 * `intro` under their title) otherwise. `expire()` signs out with the message that the session ended.
 */
export function SignedIn({ intro, children }) {
  // undefined while the stored session is being read, null when signed out.
  const [user, setUser] = useState(undefined);
  const [notice, setNotice] = useState(null);

  const refresh = useCallback(async () => setUser(await currentUser()), []);

  useEffect(() => {
    refresh();
    return Hub.listen("auth", ({ payload }) => {
      if (payload.event === "tokenRefresh_failure") {
        setNotice(new SessionExpired().message);
        setUser(null);
      }
    });
  }, [refresh]);

  const leave = useCallback(async (message = null) => {
    try {
      await signOut();
    } catch {
      // Signed out locally even when the server cannot be told.
    }
    setNotice(message);
    setUser(null);
  }, []);
  const signOutNow = useCallback(() => leave(), [leave]);
  const expire = useCallback(() => leave(new SessionExpired().message), [leave]);

  if (user === undefined) {
    return (
      <main className="card narrow" aria-busy="true">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (user === null) {
    return (
      <Account
        intro={intro}
        notice={notice}
        onSignedIn={async () => {
          setNotice(null);
          await refresh();
        }}
      />
    );
  }
  return children({ user, signOut: signOutNow, expire });
}

/** A page's title bar: its heading, who is signed in, and Sign out. */
export function PageHeader({ title, user, onSignOut }) {
  return (
    <header className="bar">
      <h1>{title}</h1>
      <p className="who">
        Signed in as <strong>{user.username}</strong>
      </p>
      <button type="button" className="secondary" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

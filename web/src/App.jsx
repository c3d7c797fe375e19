import { useCallback, useEffect, useState } from "react";
import { Hub } from "aws-amplify/utils";
import { fetchAuthSession, getCurrentUser, signOut } from "aws-amplify/auth";
import { Account } from "./Account.jsx";
import { SessionExpired } from "./api.js";
import { Files } from "./Files.jsx";

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

export function App({ config }) {
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
        notice={notice}
        onSignedIn={async () => {
          setNotice(null);
          await refresh();
        }}
      />
    );
  }
  return (
    <div className="app">
      <header className="bar">
        <h1>Your files</h1>
        <p className="who">
          Signed in as <strong>{user.username}</strong>
        </p>
        <button type="button" className="secondary" onClick={() => leave()}>
          Sign out
        </button>
      </header>
      <Files config={config} user={user} onExpired={() => leave(new SessionExpired().message)} />
    </div>
  );
}

// The monitoring dashboard's entry (admin.html, served at /_s3cognito/admin/): the same sign-in as the
// upload page, then the server's figures.
import { start } from "../boot.jsx";
import { SignedIn } from "../SignedIn.jsx";
import { Dashboard } from "./Dashboard.jsx";
import "./dashboard.css";

start((config) => (
  <SignedIn intro="Sign in with an administrator's account to see how the server is doing.">
    {({ user, signOut, expire }) => <Dashboard config={config} user={user} onSignOut={signOut} onExpired={expire} />}
  </SignedIn>
));

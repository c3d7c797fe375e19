// The upload page: once signed in, the user's uploads and files.
import { Files } from "./Files.jsx";
import { PageHeader, SignedIn } from "./SignedIn.jsx";

export function App({ config }) {
  return (
    <SignedIn intro="Sign in to upload files to your private space.">
      {({ user, signOut, expire }) => (
        <div className="app">
          <PageHeader title="Your files" user={user} onSignOut={signOut} />
          <Files config={config} user={user} onExpired={expire} />
        </div>
      )}
    </SignedIn>
  );
}

// The server's health as cards: whether the database, the blob store and the key material answer, the
// user pool and the bucket (with what they hold), and the default KMS key's state. Each card says its
// state in words, with a mark beside it, so that nothing depends on telling colours apart.
import { countOf, formatBytes } from "./overview.js";

const KEY_STATE_WORDS = { Enabled: "Enabled", Disabled: "Disabled", PendingDeletion: "Pending deletion" };

function HealthCard({ name, good, state, children }) {
  return (
    <li className={`health-card ${good ? "good" : "bad"}`}>
      <h3>{name}</h3>
      <p className="state">
        <span className="mark" aria-hidden="true">
          {good ? "✓" : "✕"}
        </span>
        {state}
      </p>
      {children && <p className="detail">{children}</p>}
    </li>
  );
}

function Check({ name, value, detail }) {
  const good = value === "ok";
  return (
    <HealthCard name={name} good={good} state={good ? "OK" : "Unavailable"}>
      {good ? detail : "Failing its check; the server's log says why."}
    </HealthCard>
  );
}

export function Health({ health }) {
  const { userPool, bucket, defaultKey, keyStates } = health;
  const allKeys = keyStates.map((entry) => `${countOf(entry.keys, "key")} ${(KEY_STATE_WORDS[entry.state] ?? entry.state).toLowerCase()}`);
  return (
    <section aria-labelledby="health-heading">
      <h2 id="health-heading">Health</h2>
      <ul className="health">
        <Check name="Database" value={health.database} detail="Answering." />
        <Check name="Blob store" value={health.blobStore} detail="Answering; it is this deployment's store." />
        <Check name="Keys" value={health.keys} detail="The master key is this deployment's." />
        <HealthCard name="User pool" good={userPool.exists} state={userPool.exists ? "OK" : "Missing"}>
          {userPool.exists && `${countOf(userPool.users, "user")} · `}
          <span className="identifier">{userPool.id}</span>
        </HealthCard>
        <HealthCard name="Bucket" good={bucket.exists} state={bucket.exists ? "OK" : "Missing"}>
          {bucket.exists &&
            `${countOf(bucket.objects, "object")} · ${formatBytes(bucket.bytes)} · ` +
              `${countOf(bucket.multipartUploads, "multipart upload")} under way · `}
          <span className="identifier">{bucket.name}</span>
        </HealthCard>
        <HealthCard
          name="Default KMS key"
          good={defaultKey === "Enabled"}
          state={defaultKey ? KEY_STATE_WORDS[defaultKey] ?? defaultKey : "None"}
        >
          {allKeys.length > 0 ? `All keys: ${allKeys.join(", ")}.` : "No keys."}
        </HealthCard>
      </ul>
    </section>
  );
}

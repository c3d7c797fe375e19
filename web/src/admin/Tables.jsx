// The dashboard's tables: the users who store the most bytes, the newest audit events, and the box every
// table of the dashboard sits in.
import { countOf, formatBytes, formatCount, formatEventTime } from "./overview.js";

/**
 * A table in a box that scrolls by itself if it must, so the page never does; the box is focusable, to
 * scroll it by keyboard, and named by the heading `headingId` or by `label`.
 */
export function TableBox({ headingId, label, caption, className, children }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-labelledby={headingId} aria-label={label}>
      <table className={className}>
        <caption className="visually-hidden">{caption}</caption>
        {children}
      </table>
    </div>
  );
}

export function StorageTable({ storage }) {
  return (
    <section aria-labelledby="storage-heading">
      <h2 id="storage-heading">Storage per user</h2>
      {storage.length === 0 ? (
        <p>Nobody stores any files yet.</p>
      ) : (
        <TableBox headingId="storage-heading" caption={`The ${countOf(storage.length, "user")} storing the most bytes, most first`}>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col" className="number">
                Objects
              </th>
              <th scope="col" className="number">
                Bytes
              </th>
            </tr>
          </thead>
          <tbody>
            {storage.map((usage) => (
              <tr key={usage.identityId}>
                <td>
                  {/* A user whose identity the pool no longer knows is named by the identity alone. */}
                  {usage.username ?? <span className="identifier">{usage.identityId}</span>}
                  {usage.username && <span className="sub identifier">{usage.identityId}</span>}
                </td>
                <td className="number">{formatCount(usage.objects)}</td>
                <td className="number">{formatBytes(usage.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </TableBox>
      )}
    </section>
  );
}

const OUTCOMES = {
  success: { mark: "✓", word: "Success" },
  failure: { mark: "✕", word: "Failure" },
  denied: { mark: "⊘", word: "Denied" },
};

const VIA_WORDS = {
  signature: "signed request",
  "presigned-url": "presigned URL",
  token: "token",
  password: "password",
  none: "unsigned",
};

export function RecentEvents({ events }) {
  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Recent audit events</h2>
      {events.length === 0 ? (
        <p>No events recorded yet.</p>
      ) : (
        <TableBox headingId="events-heading" caption="The newest audit events, newest first" className="events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Outcome</th>
              <th scope="col">Principal</th>
              <th scope="col">Source</th>
              <th scope="col">Resource</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => {
              const outcome = OUTCOMES[event.outcome] ?? { mark: "", word: event.outcome };
              return (
                <tr key={event.id} className={`outcome-${event.outcome}`}>
                  {/* The labels stand before each value when a narrow screen stacks the columns. */}
                  <td data-label="Time">
                    <time dateTime={event.time}>{formatEventTime(event.time)}</time>
                  </td>
                  <td data-label="Event">
                    {event.event}
                    <span className="sub">
                      {event.service} · {VIA_WORDS[event.via] ?? event.via}
                    </span>
                  </td>
                  <td data-label="Outcome">
                    <span aria-hidden="true" className="mark">
                      {outcome.mark}
                    </span>
                    {outcome.word}
                    {event.errorCode && <span className="sub">{event.errorCode}</span>}
                  </td>
                  <td data-label="Principal">
                    <span className="identifier">{event.principal}</span>
                    {event.identity && <span className="sub identifier">{event.identity}</span>}
                  </td>
                  <td data-label="Source">{event.sourceAddress}</td>
                  <td data-label="Resource">
                    <span className="identifier">{event.resource ?? "—"}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </TableBox>
      )}
    </section>
  );
}

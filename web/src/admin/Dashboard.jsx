// The monitoring dashboard for the pool's administrators: the server's health, uploads, sign-in failures
// and presigned-URL use over a chosen window, who stores the most, and the newest audit events. A
// signed-in user who is not an administrator is told so, with a way to sign out.
import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { describe, isSessionExpired } from "../api.js";
import { PageHeader } from "../SignedIn.jsx";
import { Health } from "./Health.jsx";
import { RecentEvents, StorageTable } from "./Tables.jsx";
import { TimeChart } from "./TimeChart.jsx";
import {
  axisLabel,
  DEFAULT_WINDOW,
  every,
  fetchOverview,
  formatBytes,
  formatCount,
  formatIntervalStart,
  formatMoment,
  NotAdministrator,
  WINDOWS,
} from "./overview.js";

/** The three charts' series, from the overview's per-interval figures. */
function chartsOf(overview, windowSeconds) {
  const starts = overview.uploads.map((point) => point.start);
  const labels = starts.map((start) => axisLabel(start, windowSeconds));
  const rowLabels = starts.map(formatIntervalStart);
  // Counts are bars, side by side within each interval, so that equal counts do not hide each other.
  const count = (values, label) => ({ label, values, format: formatCount, kind: "bar", axis: "count" });
  return {
    labels,
    rowLabels,
    uploads: [
      count(overview.uploads.map((point) => point.uploads), "Uploads"),
      { label: "Bytes uploaded", values: overview.uploads.map((point) => point.bytes), format: formatBytes, kind: "line", axis: "bytes" },
    ],
    signIns: [
      count(overview.signIns.map((point) => point.failures), "Failed sign-ins"),
      count(overview.signIns.map((point) => point.lockouts), "Lockouts"),
    ],
    presignedUrls: [
      count(overview.presignedUrls.map((point) => point.issued), "Issued"),
      count(overview.presignedUrls.map((point) => point.used), "Used"),
      count(overview.presignedUrls.map((point) => point.refused), "Refused"),
    ],
  };
}

function NotForAdministrators({ user, onSignOut }) {
  return (
    <main className="card narrow">
      <h1>Monitoring</h1>
      <p role="alert" className="message error">
        This dashboard is for administrators. You are signed in as <strong>{user.username}</strong>, who is not a
        member of the administrators group.
      </p>
      <p>Ask an administrator to add you to the group, or sign out and sign in with an administrator's account.</p>
      <div className="links">
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
        <a href={import.meta.env.BASE_URL}>Go to your files</a>
      </div>
    </main>
  );
}

export function Dashboard({ config, user, onSignOut, onExpired }) {
  const [windowSeconds, setWindowSeconds] = useState(DEFAULT_WINDOW);
  // The figures shown and the window they cover, which is the chosen one once they arrive.
  const [shown, setShown] = useState(null);
  const [forbidden, setForbidden] = useState(false);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);
  const windowFieldId = useId();
  // Only the newest request's answer is shown, whichever arrives last.
  const latestRequest = useRef(0);

  const load = useCallback(
    async (seconds) => {
      const request = ++latestRequest.current;
      setLoading(true);
      try {
        const figures = await fetchOverview(config, seconds);
        if (request !== latestRequest.current) return;
        setShown({ overview: figures, windowSeconds: seconds });
        setError(null);
      } catch (caught) {
        if (request !== latestRequest.current) return;
        if (isSessionExpired(caught)) {
          onExpired();
        } else if (caught instanceof NotAdministrator) {
          setForbidden(true);
        } else {
          // Older figures, perhaps of another window, would pass for these.
          setShown(null);
          setError(describe(caught));
        }
      } finally {
        if (request === latestRequest.current) setLoading(false);
      }
    },
    [config, onExpired],
  );

  useEffect(() => {
    load(windowSeconds);
  }, [load, windowSeconds]);

  const charts = useMemo(() => shown && chartsOf(shown.overview, shown.windowSeconds), [shown]);

  if (forbidden) return <NotForAdministrators user={user} onSignOut={onSignOut} />;

  const overview = shown?.overview;
  const windowPhrase = WINDOWS.find((choice) => choice.seconds === shown?.windowSeconds)?.phrase;
  return (
    <div className="app dashboard">
      <PageHeader title="Monitoring" user={user} onSignOut={onSignOut} />
      <main className="content" aria-busy={loading}>
        <div className="controls">
          <label htmlFor={windowFieldId}>Time window</label>
          <div className="control-row">
            <select id={windowFieldId} value={windowSeconds} onChange={(event) => setWindowSeconds(Number(event.target.value))}>
              {WINDOWS.map((choice) => (
                <option key={choice.seconds} value={choice.seconds}>
                  {choice.label}
                </option>
              ))}
            </select>
            <button type="button" className="secondary" onClick={() => load(windowSeconds)}>
              Refresh
            </button>
            <p role="status" className="updated">
              {loading ? "Loading the figures…" : overview && `Figures as of ${formatMoment(overview.now)}.`}
            </p>
          </div>
        </div>
        {error && (
          <p role="alert" className="message error">
            {error}
          </p>
        )}
        {overview && (
          <>
            <Health health={overview.health} />
            <section aria-labelledby="activity-heading">
              <h2 id="activity-heading">Activity</h2>
              <p className="hint window-range">
                From {formatMoment(overview.since)} to {formatMoment(overview.now)}, one point{" "}
                {every(overview.interval)}.
              </p>
              <div className="charts">
                <TimeChart
                  title="Uploads"
                  description={`uploads finished and bytes uploaded over ${windowPhrase}`}
                  labels={charts.labels}
                  rowLabels={charts.rowLabels}
                  series={charts.uploads}
                />
                <TimeChart
                  title="Sign-in failures"
                  description={`failed password sign-ins and accounts locked out over ${windowPhrase}`}
                  labels={charts.labels}
                  rowLabels={charts.rowLabels}
                  series={charts.signIns}
                />
                <TimeChart
                  title="Presigned URLs"
                  description={`presigned URLs issued, used and refused over ${windowPhrase}`}
                  labels={charts.labels}
                  rowLabels={charts.rowLabels}
                  series={charts.presignedUrls}
                />
              </div>
            </section>
            <StorageTable storage={overview.storage} />
            <RecentEvents events={overview.recentEvents} />
          </>
        )}
      </main>
    </div>
  );
}

// What the dashboard asks of the server: its figures over a time window, from
// /_s3cognito/admin/overview with the user pool access token (as the presign API takes it), and the
// words and number formats the dashboard shows them in.
import { accessToken, formatBytes, SessionExpired } from "../api.js";

/** The windows an operator can choose, in seconds; the server takes an hour to 31 days. */
export const WINDOWS = [
  { seconds: 3600, label: "Last hour", phrase: "the last hour" },
  { seconds: 86400, label: "Last day", phrase: "the last day" },
  { seconds: 604800, label: "Last week", phrase: "the last week" },
];
export const DEFAULT_WINDOW = 86400;

/** The parts a 503 answer's `health` names, as the health cards name them. */
const PARTS = { database: "the database", blobStore: "the blob store", keys: "the keys" };

/** The server answered that the signed-in user is not in the administrators group. */
export class NotAdministrator extends Error {
  constructor(message) {
    super(message || "Only members of the administrators group may see this.");
    this.name = "NotAdministrator";
  }
}

/** The overview for the last `windowSeconds`, as the server sends it. */
export async function fetchOverview(config, windowSeconds) {
  const base = config.endpoint.replace(/\/+$/, "");
  const response = await fetch(`${base}/_s3cognito/admin/overview?window=${windowSeconds}`, {
    headers: { authorization: await accessToken() },
    cache: "no-store",
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) throw new SessionExpired();
  if (response.status === 403) throw new NotAdministrator(body.message);
  if (response.status === 503) {
    const away = Object.entries(body.health ?? {})
      .filter(([, state]) => state !== "ok")
      .map(([part]) => PARTS[part] ?? part);
    const which = away.length
      ? `Unavailable: ${away.join(", ")}.`
      : "Its database, blob store or keys may be unavailable (its readiness check, /_s3cognito/ready, says which).";
    throw new Error(`The server could not gather its figures just now. ${which} Try Refresh in a moment.`);
  }
  if (!response.ok) throw new Error(body.message || `The figures could not be read (HTTP ${response.status}).`);
  return body;
}

const countFormat = new Intl.NumberFormat();

export function formatCount(count) {
  return countFormat.format(count);
}

export { formatBytes };

/** "3 objects", "1 object": a count with its noun. */
export function countOf(count, singular, plural = `${singular}s`) {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const weekdayTimeFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" });
const intervalFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const secondsFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });

/** A moment in epoch seconds, with its date. */
export function formatMoment(epochSeconds) {
  return dateTimeFormat.format(new Date(epochSeconds * 1000));
}

/** An interval's start in a table of intervals: short enough for a phone's width beside the figures. */
export function formatIntervalStart(epochSeconds) {
  return intervalFormat.format(new Date(epochSeconds * 1000));
}

/** An audit event's time (ISO 8601), to the second. */
export function formatEventTime(iso) {
  return secondsFormat.format(new Date(iso));
}

/** A chart's axis label for an interval's start: the time within a day's window, the weekday beyond. */
export function axisLabel(epochSeconds, windowSeconds) {
  const date = new Date(epochSeconds * 1000);
  return windowSeconds <= 86400 ? timeFormat.format(date) : weekdayTimeFormat.format(date);
}

/** How often a series has a point: "every hour", "every 7 hours", "every 2.5 minutes". */
export function every(seconds) {
  const [count, unit] = seconds % 3600 === 0 ? [seconds / 3600, "hour"] : seconds >= 60 ? [seconds / 60, "minute"] : [seconds, "second"];
  return count === 1 ? `every ${unit}` : `every ${countOf(count, unit)}`;
}

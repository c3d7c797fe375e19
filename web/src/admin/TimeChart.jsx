// One chart of figures over time (chart.js on a canvas), with the same figures as text: the window's
// totals under the title, the canvas named for screen readers, and a table of every interval behind a
// disclosure, for anyone who cannot see or read the chart.
import { useEffect, useId, useRef, useSyncExternalStore } from "react";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { TableBox } from "./Tables.jsx";

// Only what these charts draw, so the rest of chart.js stays out of the bundle.
Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

// Each series differs by its marker (in the legend and on a line) and a line by its pattern as well as
// its colour, so that series can be told apart without seeing colours; bars also keep the legend's order
// within each interval.
const POINT_STYLES = ["circle", "triangle", "rectRot"];
const DASHES = [[], [6, 4], [2, 3]];

const darkScheme = typeof window === "undefined" ? null : window.matchMedia("(prefers-color-scheme: dark)");

/** "dark" or "light", following the system as the page's styles do, so a chart redraws in the new colours. */
function useColorScheme() {
  return useSyncExternalStore(
    (notify) => {
      darkScheme?.addEventListener("change", notify);
      return () => darkScheme?.removeEventListener("change", notify);
    },
    () => (darkScheme?.matches ? "dark" : "light"),
  );
}

/**
 * `series`: [{label, values, format, kind: "bar" | "line", axis: "count" | "bytes"}], one value per
 * interval; `labels` name the intervals on the chart's axis, `rowLabels` in the table.
 */
export function TimeChart({ title, description, labels, rowLabels, series }) {
  const canvas = useRef(null);
  const scheme = useColorScheme();
  const headingId = useId();
  const totals = series.map((one) => `${one.label}: ${one.format(one.values.reduce((sum, value) => sum + value, 0))}`).join(", ");

  useEffect(() => {
    const style = getComputedStyle(canvas.current);
    const color = (name) => style.getPropertyValue(name).trim();
    const text = color("--muted");
    const grid = color("--border");
    const font = { family: style.fontFamily };
    const formatOf = Object.fromEntries(series.map((one) => [one.axis, one.format]));
    const chart = new Chart(canvas.current, {
      data: {
        labels,
        datasets: series.map((one, index) => {
          const seriesColor = color(`--series-${index + 1}`);
          return {
            type: one.kind,
            label: one.label,
            data: one.values,
            yAxisID: one.axis,
            backgroundColor: seriesColor,
            borderColor: seriesColor,
            borderWidth: one.kind === "line" ? 2 : 0,
            borderDash: DASHES[index],
            pointStyle: POINT_STYLES[index],
            // A marker only where something happened; a row of markers along zero is only clutter.
            pointRadius: (point) => (point.raw ? 3 : 0),
            // Lines are drawn over bars.
            order: one.kind === "line" ? 0 : 1,
          };
        }),
      },
      options: {
        // Still charts: nothing moves for someone who prefers it not to, and a screenshot is final.
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          // In the order of the series, whichever is drawn on top.
          legend: { labels: { color: text, font, usePointStyle: true, sort: (a, b) => a.datasetIndex - b.datasetIndex } },
          tooltip: {
            callbacks: { label: (item) => `${item.dataset.label}: ${series[item.datasetIndex].format(item.parsed.y)}` },
          },
        },
        scales: Object.fromEntries([
          ["x", { ticks: { color: text, font, maxRotation: 0, autoSkip: true, maxTicksLimit: 6 }, grid: { color: grid } }],
          ...Object.entries(formatOf).map(([axis, format], index) => [
            axis,
            {
              position: index === 0 ? "left" : "right",
              beginAtZero: true,
              ticks: { color: text, font, precision: 0, callback: (value) => format(value) },
              // One grid is enough; a second axis's lines would not meet the first's.
              grid: { color: grid, drawOnChartArea: index === 0 },
            },
          ]),
        ]),
      },
    });
    return () => chart.destroy();
    // The colour scheme is read through the CSS variables above: a change of it redraws the chart.
  }, [labels, series, scheme]);

  return (
    <figure className="chart" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <p className="chart-totals">{totals}</p>
      <div className="chart-canvas">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`${title}: ${description}. ${totals}. The figures for each interval are in the table below the chart.`}
        />
      </div>
      <details>
        <summary>{title} for each interval</summary>
        <TableBox label={`${title}, for each interval`} caption={`${title}, for each interval: ${description}`}>
          <thead>
            <tr>
              <th scope="col">From</th>
              {series.map((one) => (
                <th scope="col" className="number" key={one.label}>
                  {one.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rowLabels.map((rowLabel, index) => (
              <tr key={index}>
                <th scope="row">{rowLabel}</th>
                {series.map((one) => (
                  <td className="number" key={one.label}>
                    {one.format(one.values[index])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </TableBox>
      </details>
    </figure>
  );
}

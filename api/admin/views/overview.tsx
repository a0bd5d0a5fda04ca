/**
 * A certificate's Overview tab: its awards by phase, and a server-rendered SVG chart of the coming
 * load (recertification due dates and expiries per week, next 12 months), with a title, a description
 * and labelled axes for screen readers, and the same numbers as a table.
 */
import type { CertificateOverview, OverviewWeek } from '../../../domain/certificate-overview.ts';
import { PHASES } from '../../../domain/vocabulary.ts';
import { day } from './format.ts';
import { PHASE_LABELS } from './labels.ts';

const CHART = { width: 960, height: 260, left: 44, right: 12, top: 16, bottom: 44 } as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A round upper bound for the y axis (1, 2, 5 × 10ⁿ), at least 1. */
export function axisMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= n) ?? 10 * p;
}

/** The chart's one-sentence description: totals and the busiest week. */
export function chartDescription(weeks: OverviewWeek[]): string {
  const due = weeks.reduce((s, w) => s + w.due, 0);
  const expiring = weeks.reduce((s, w) => s + w.expiring, 0);
  const busiest = weeks.reduce<OverviewWeek | null>((b, w) => (w.due + w.expiring > (b ? b.due + b.expiring : 0) ? w : b), null);
  const first = weeks[0];
  const last = weeks[weeks.length - 1];
  if (!first || !last) return 'No weeks.';
  const span = `the ${weeks.length} weeks from ${day(first.weekStart)} to ${day(new Date(last.weekStart.getTime() + 6 * 86_400_000))}`;
  if (!busiest) return `No recertification falls due and no certificate expires in ${span}.`;
  return (
    `In ${span}: ${due} recertification${due === 1 ? '' : 's'} fall${due === 1 ? 's' : ''} due and ${expiring} certificate${expiring === 1 ? ' expires' : 's expire'}. ` +
    `The busiest week starts ${day(busiest.weekStart)} (${busiest.due} due, ${busiest.expiring} expiring).`
  );
}

/** The x axis's labels: the first week of each month ("Jan 2027" in January and on the first label, else "Feb"). */
export function monthStarts(weeks: OverviewWeek[]): { index: number; label: string }[] {
  const out: { index: number; label: string }[] = [];
  weeks.forEach((w, i) => {
    const prev = weeks[i - 1];
    if (!prev || prev.weekStart.getUTCMonth() === w.weekStart.getUTCMonth()) return;
    const m = w.weekStart.getUTCMonth();
    out.push({ index: i, label: m === 0 || out.length === 0 ? `${MONTHS[m]} ${w.weekStart.getUTCFullYear()}` : (MONTHS[m] ?? '') });
  });
  return out;
}

/** The weekly chart: two bars a week (due, expiring), a y axis with three ticks, month labels on the x axis. */
export function LoadChart(props: { weeks: OverviewWeek[] }) {
  const { weeks } = props;
  const max = axisMax(Math.max(0, ...weeks.map((w) => Math.max(w.due, w.expiring))));
  const plotW = CHART.width - CHART.left - CHART.right;
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const slot = plotW / Math.max(1, weeks.length);
  const barW = Math.max(1, (slot - 2) / 2);
  const y = (n: number) => CHART.top + plotH - (n / max) * plotH;
  const ticks = [0, max / 2, max];
  return (
    <svg
      id="load-chart"
      role="img"
      aria-labelledby="load-chart-title load-chart-desc"
      viewBox={`0 0 ${CHART.width} ${CHART.height}`}
      width="100%"
      preserveAspectRatio="xMidYMid meet"
      class="load-chart"
    >
      <title id="load-chart-title">Recertifications due and certificates expiring, per week, next 12 months</title>
      <desc id="load-chart-desc">{chartDescription(weeks)}</desc>
      <g class="axis y-axis" aria-hidden="true">
        {ticks.map((t) => (
          <>
            <line x1={CHART.left} x2={CHART.width - CHART.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={CHART.left - 6} y={y(t) + 4} text-anchor="end">
              {Number.isInteger(t) ? String(t) : t.toFixed(1)}
            </text>
          </>
        ))}
      </g>
      <g class="axis x-axis" aria-hidden="true">
        {monthStarts(weeks).map(({ index, label }) => (
          <text x={CHART.left + index * slot} y={CHART.height - CHART.bottom + 16}>
            {label}
          </text>
        ))}
        <text x={CHART.left + plotW / 2} y={CHART.height - 6} text-anchor="middle" class="axis-label">
          Week (starting Monday, UTC)
        </text>
      </g>
      <g class="bars">
        {weeks.map((w, i) => {
          const x = CHART.left + i * slot + 1;
          const week = day(w.weekStart);
          return (
            <g class="week" data-week={week} data-due={String(w.due)} data-expiring={String(w.expiring)}>
              <rect class="bar-due" x={x} y={y(w.due)} width={barW} height={CHART.top + plotH - y(w.due)}>
                <title>{`Week of ${week}: ${w.due} due`}</title>
              </rect>
              <rect class="bar-expiring" x={x + barW} y={y(w.expiring)} width={barW} height={CHART.top + plotH - y(w.expiring)}>
                <title>{`Week of ${week}: ${w.expiring} expiring`}</title>
              </rect>
            </g>
          );
        })}
      </g>
    </svg>
  );
}

/** The Overview tab: counts by phase, the chart with its legend, and the chart's numbers as a table. */
export function OverviewPanel(props: { overview: CertificateOverview }) {
  const { overview } = props;
  const busy = overview.weeks.filter((w) => w.due + w.expiring > 0);
  return (
    <>
      <section class="card" id="phase-counts-section">
        <h2>Awards by phase</h2>
        <ul class="phase-counts" id="phase-counts">
          {PHASES.map((p) => (
            <li data-phase={p} data-count={String(overview.phases[p])}>
              <span class={`badge phase-${p}`}>{PHASE_LABELS[p]}</span> <strong>{overview.phases[p]}</strong>
            </li>
          ))}
          <li data-phase="not_expiring" data-count={String(overview.phases.not_expiring)}>
            <span class="badge">Not expiring</span> <strong>{overview.phases.not_expiring}</strong>
          </li>
        </ul>
        <p class="hint">From the database at {day(overview.asOf)}: enrolled learners are assigned; the others are scheduled before their due date and waiting after it.</p>
      </section>
      <section class="card" id="load-section">
        <h2>Coming load</h2>
        <p class="legend" aria-hidden="true">
          <span class="swatch bar-due" /> recertification due <span class="swatch bar-expiring" /> certificate expires
        </p>
        <LoadChart weeks={overview.weeks} />
        <details>
          <summary>The numbers, week by week</summary>
          {busy.length === 0 ? (
            <p class="empty">Nothing falls due or expires in the next 12 months.</p>
          ) : (
            <table class="list" id="load-table">
              <thead>
                <tr>
                  <th>Week of</th>
                  <th>Due</th>
                  <th>Expiring</th>
                </tr>
              </thead>
              <tbody>
                {busy.map((w) => (
                  <tr data-week={day(w.weekStart)}>
                    <td>{day(w.weekStart)}</td>
                    <td>{w.due}</td>
                    <td>{w.expiring}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </details>
      </section>
    </>
  );
}

import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react';
import { type ApiError, asApiError, gql } from './api.ts';
import { DailyChart, type Point } from './Chart.tsx';
import { formatCount, formatTime } from './format.ts';
import { ProblemMessage } from './ProblemMessage.tsx';
import { Link, navigate } from './router.tsx';

interface Overview {
  dataSourceSchema: { timestampColumn: string; dimensions: string[]; metrics: { name: string; type: string }[] } | null;
  dataSourceSummary: {
    rowCount: number;
    minTime: string | null;
    maxTime: string | null;
    metricTotals: { name: string; sum: number }[];
  } | null;
}

const OVERVIEW = `query Source($name: String!) {
  dataSourceSchema(dataSourceName: $name) { timestampColumn dimensions metrics { name type } }
  dataSourceSummary(dataSourceName: $name) { rowCount minTime maxTime metricTotals { name sum } }
}`;
const SERIES = `query Series($name: String!, $metric: String!) {
  dataSourceTimeSeries(dataSourceName: $name, metric: $metric) { day value }
}`;

/** A data source: its schema, its summary and one metric's daily sum, so a user sees their data arrive. */
export function DataSourceView({ name }: { name: string }) {
  const [overview, setOverview] = useState<Overview | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [metric, setMetric] = useState('');
  const [series, setSeries] = useState<Point[] | undefined>();
  const [seriesError, setSeriesError] = useState<ApiError | undefined>();
  const [draft, setDraft] = useState(name);
  const ids = { name: useId(), metric: useId() };

  useEffect(() => {
    setDraft(name);
    setOverview(undefined);
    setError(undefined);
    setSeries(undefined);
    if (!name) return;
    const controller = new AbortController();
    gql<Overview>(OVERVIEW, { name }, controller.signal)
      .then((data) => {
        setOverview(data);
        setMetric(data.dataSourceSchema?.metrics[0]?.name ?? '');
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(asApiError(caught));
      });
    return () => controller.abort();
  }, [name]);

  useEffect(() => {
    if (!name || !metric) return;
    const controller = new AbortController();
    setSeriesError(undefined);
    gql<{ dataSourceTimeSeries: Point[] }>(SERIES, { name, metric }, controller.signal)
      .then((data) => setSeries(data.dataSourceTimeSeries))
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setSeriesError(asApiError(caught));
      });
    return () => controller.abort();
  }, [name, metric]);

  const schema = overview?.dataSourceSchema;
  const summary = overview?.dataSourceSummary;
  return (
    <section aria-labelledby="source-heading">
      <h1 id="source-heading">{name ? `Data source ${name}` : 'Data sources'}</h1>
      <form
        className="filters"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          if (draft.trim()) navigate(`/sources/${encodeURIComponent(draft.trim())}`);
        }}
      >
        <div className="field">
          <label htmlFor={ids.name}>Data source name</label>
          <input id={ids.name} value={draft} onChange={(event) => setDraft(event.target.value)} />
        </div>
        <div className="field submit">
          <button type="submit" className="button secondary">
            Show
          </button>
        </div>
      </form>
      {error ? <ProblemMessage problem={error} /> : null}
      {overview && !schema ? (
        <p className="muted">
          No data source is called “{name}” yet: its first successful upload creates it. <Link href="/">Upload</Link>
        </p>
      ) : null}
      {schema ? (
        <div className="cards">
          <section className="card" aria-labelledby="summary-heading">
            <h2 id="summary-heading">Summary</h2>
            <dl className="pairs">
              <Pair label="Rows">{formatCount(summary?.rowCount)}</Pair>
              <Pair label="From">{formatTime(summary?.minTime)}</Pair>
              <Pair label="To">{formatTime(summary?.maxTime)}</Pair>
              {summary?.metricTotals.map((total) => (
                <Pair key={total.name} label={`Total ${total.name}`}>
                  {formatCount(total.sum)}
                </Pair>
              ))}
            </dl>
          </section>
          <section className="card" aria-labelledby="schema-heading">
            <h2 id="schema-heading">Schema</h2>
            <dl className="pairs">
              <Pair label="Timestamp">
                <code>{schema.timestampColumn}</code>
              </Pair>
              <Pair label="Dimensions">
                {schema.dimensions.length === 0
                  ? '—'
                  : schema.dimensions.map((d) => (
                      <code key={d} className="tag">
                        {d}
                      </code>
                    ))}
              </Pair>
              <Pair label="Metrics">
                {schema.metrics.map((m) => (
                  <code key={m.name} className="tag">
                    {m.name} <span className="muted">{m.type}</span>
                  </code>
                ))}
              </Pair>
            </dl>
          </section>
        </div>
      ) : null}
      {schema && schema.metrics.length > 0 ? (
        <section className="card" aria-labelledby="chart-heading">
          <div className="section-head">
            <h2 id="chart-heading">Daily sum</h2>
            <div className="field inline">
              <label htmlFor={ids.metric}>Metric</label>
              <select id={ids.metric} value={metric} onChange={(event) => setMetric(event.target.value)}>
                {schema.metrics.map((m) => (
                  <option key={m.name} value={m.name}>
                    {m.name}
                  </option>
                ))}
              </select>
            </div>
          </div>
          {seriesError ? (
            <ProblemMessage problem={seriesError} />
          ) : series ? (
            <DailyChart points={series} metric={metric} />
          ) : (
            <p className="muted chart-placeholder">Loading the chart…</p>
          )}
        </section>
      ) : null}
    </section>
  );
}

function Pair({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="pair">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

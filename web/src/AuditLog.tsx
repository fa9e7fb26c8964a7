import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, asApiError, gql } from './api.ts';
import { formatCount, formatTime } from './format.ts';
import { ProblemMessage } from './ProblemMessage.tsx';

const PAGE = 50;
const QUERY = `query Audit($first: Int!, $after: String) {
  auditEvents(first: $first, after: $after) { nodes { id at actor action target details } pageInfo { hasNextPage endCursor } }
}`;
const KEY_NAMES = '{ apiKeys { id name } }';

interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: string | null;
}

interface Loaded {
  events: AuditEvent[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** The workspace's audit log (ADMIN), newest first; "Load more" appends the next page (`after` = endCursor). */
export function AuditLogPage() {
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [keyNames, setKeyNames] = useState<Map<string, string>>(() => new Map());
  const current = useRef<AbortController | undefined>(undefined);

  /** Loads the first page (after = null, replacing what is shown) or the page after a cursor (appended). */
  const load = useCallback((after: string | null) => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    setLoading(true);
    setError(undefined);
    gql<{ auditEvents: { nodes: AuditEvent[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
      QUERY,
      { first: PAGE, after },
      controller.signal,
    )
      .then(({ auditEvents }) => {
        setLoaded((previous) => ({
          events: after !== null && previous ? [...previous.events, ...auditEvents.nodes] : auditEvents.nodes,
          hasNextPage: auditEvents.pageInfo.hasNextPage,
          endCursor: auditEvents.pageInfo.endCursor,
        }));
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(asApiError(caught));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
  }, []);

  useEffect(() => {
    load(null);
    // Key names make `key:<id>` actors readable; the log is complete without them.
    const controller = new AbortController();
    gql<{ apiKeys: { id: string; name: string }[] }>(KEY_NAMES, {}, controller.signal)
      .then((data) => setKeyNames(new Map(data.apiKeys.map((key) => [key.id, key.name]))))
      .catch(() => {});
    return () => {
      controller.abort();
      current.current?.abort();
    };
  }, [load]);

  const nameOf = (reference: string | null) => {
    const match = reference ? /^(?:key:)?([0-9a-f-]{36})$/.exec(reference) : null;
    return match?.[1] ? keyNames.get(match[1]) : undefined;
  };

  return (
    <section aria-labelledby="audit-heading">
      <div className="section-head">
        <h1 id="audit-heading">Audit log</h1>
        <button type="button" className="button secondary" onClick={() => load(null)} disabled={loading}>
          Refresh
        </button>
      </div>
      <p className="muted">
        Who did what in this workspace, newest first: sign-ins, uploads, replaced days, cancelled tasks, keys created
        and revoked, refused credentials.
      </p>
      {error ? <ProblemMessage problem={error} /> : null}
      {loaded && loaded.events.length === 0 ? <p className="muted">No events yet.</p> : null}
      {loaded && loaded.events.length > 0 ? (
        <div className="table-scroll">
          <table className="audit-table stack">
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {loaded.events.map((event) => (
                <tr key={event.id}>
                  <td className="nowrap" data-label="Time">
                    {formatTime(event.at)}
                  </td>
                  <td data-label="Actor">
                    <Reference value={event.actor} name={nameOf(event.actor)} />
                  </td>
                  <td data-label="Action">
                    <code className="code action">{event.action}</code>
                  </td>
                  <td data-label="Target">
                    {event.target ? (
                      <Reference value={event.target} name={nameOf(event.target)} />
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="details" data-label="Details">
                    {event.details ?? <span className="muted">—</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {!loaded && !error ? <p className="muted">Loading the audit log…</p> : null}
      {loaded ? (
        <div className="load-more">
          <p className="muted" aria-live="polite">
            {formatCount(loaded.events.length)} {loaded.events.length === 1 ? 'event' : 'events'} shown
            {loaded.hasNextPage ? '; older ones follow.' : ', the whole log.'}
          </p>
          {loaded.hasNextPage ? (
            <button
              type="button"
              className="button secondary"
              disabled={loading}
              onClick={() => load(loaded.endCursor)}
            >
              {loading ? 'Loading…' : 'Load more'}
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** An actor or target as stored (`key:<id>`, `oidc:<subject>`, `address:<ip>`, a task id), with a key's name when known. */
function Reference({ value, name }: { value: string; name: string | undefined }) {
  return (
    <>
      {name ? <div>{name}</div> : null}
      <code className={name ? 'reference muted small' : 'reference'}>{value}</code>
    </>
  );
}

import { type ReactNode, useEffect, useState } from 'react';
import { ApiError, gql, type Rejection } from './api.ts';
import { formatCount } from './format.ts';
import { Pager } from './Pager.tsx';
import { ProblemMessage } from './ProblemMessage.tsx';

const PAGE = 50;

const QUERY = `query Rejections($id: ID!, $first: Int!, $after: Int!) {
  ingestionTask(taskId: $id) { rowsRejected rejections(first: $first, afterLine: $after) { line column code message raw } }
}`;

/**
 * Shows a cell's raw text exactly, as text: a leading `=`, `+`, `-` or `@` is never evaluated (React renders text
 * nodes, never HTML), and tabs, carriage returns and newlines are made visible instead of silently disappearing.
 */
export function RawText({ value }: { value: string | null }): ReactNode {
  if (value === null) return <span className="muted">—</span>;
  const parts: ReactNode[] = [];
  let text = '';
  const flush = () => {
    if (text) parts.push(text);
    text = '';
  };
  for (const char of value) {
    const mark = char === '\t' ? '⇥' : char === '\r' ? '␍' : char === '\n' ? '↵' : undefined;
    if (!mark) {
      text += char;
      continue;
    }
    flush();
    const name = char === '\t' ? 'tab' : char === '\r' ? 'carriage return' : 'line break';
    parts.push(
      <span key={parts.length} className="control" title={name}>
        {mark}
        <span className="visually-hidden"> {name} </span>
      </span>,
    );
    if (char === '\n') parts.push(<br key={`br${parts.length}`} />);
  }
  flush();
  return <code className="raw">{parts}</code>;
}

/** The rejected rows of a task, a page at a time, with the whole list as a CSV download. */
export function Rejections({ taskId, rowsRejected }: { taskId: string; rowsRejected: number | null }) {
  const [cursors, setCursors] = useState<number[]>([0]);
  const [rows, setRows] = useState<Rejection[] | undefined>();
  const [hasNext, setHasNext] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const after = cursors[cursors.length - 1] ?? 0;

  useEffect(() => {
    const controller = new AbortController();
    gql<{ ingestionTask: { rejections: Rejection[] } | null }>(
      QUERY,
      { id: taskId, first: PAGE + 1, after },
      controller.signal,
    )
      .then((data) => {
        const list = data.ingestionTask?.rejections ?? [];
        setRows(list.slice(0, PAGE));
        setHasNext(list.length > PAGE);
        setError(undefined);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted)
          setError(caught instanceof ApiError ? caught : new ApiError('NETWORK_ERROR', String(caught)));
      });
    return () => controller.abort();
  }, [taskId, after]);

  const page = cursors.length;
  return (
    <section className="rejections" aria-labelledby="rejections-heading" id="rejections">
      <div className="section-head">
        <h2 id="rejections-heading">Rejected rows {rowsRejected !== null ? `(${formatCount(rowsRejected)})` : ''}</h2>
        <a className="button secondary" href={`/api/v1/tasks/${encodeURIComponent(taskId)}/rejections.csv`} download>
          Download all as CSV
        </a>
      </div>
      {error ? <ProblemMessage problem={error} /> : null}
      {rows && rows.length === 0 && page === 1 ? <p className="muted">No rows were rejected.</p> : null}
      {rows && rows.length > 0 ? (
        <div className="table-scroll">
          <table className="stack">
            <caption className="visually-hidden">Rejected rows, page {page}</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Line
                </th>
                <th scope="col">Column</th>
                <th scope="col">Reason</th>
                <th scope="col">Raw text</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={`${row.line}-${row.column ?? ''}-${row.code}`}>
                  <td className="num" data-label="Line">
                    {row.line}
                  </td>
                  <td data-label="Column">{row.column ?? <span className="muted">(row)</span>}</td>
                  <td data-label="Reason">
                    <code className="code">{row.code}</code> {row.message}
                  </td>
                  <td data-label="Raw text" className="raw-cell">
                    <RawText value={row.raw} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {rows && (page > 1 || hasNext) ? (
        <Pager
          label="Rejected rows pages"
          page={page}
          hasPrevious={page > 1}
          hasNext={hasNext}
          previousText="Previous page"
          nextText="Next page"
          onPrevious={() => setCursors((c) => c.slice(0, -1))}
          onNext={() => {
            const last = rows[rows.length - 1];
            if (last) setCursors((c) => [...c, last.line]);
          }}
        />
      ) : null}
    </section>
  );
}

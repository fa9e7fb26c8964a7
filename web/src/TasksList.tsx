import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { ApiError, cancelTask, gql, STATUSES, type Status, TASK_FIELDS, type Task, TERMINAL } from './api.ts';
import { formatBytes, formatCount, formatTime, statusWord } from './format.ts';
import { Pager } from './Pager.tsx';
import { ProblemMessage } from './ProblemMessage.tsx';
import { Link, navigate } from './router.tsx';
import { mayCancel, usePrincipal } from './session.ts';

const PAGE = 20;
const QUERY = `query Tasks($first: Int, $after: String, $status: IngestionStatus, $dataSourceName: String) {
  ingestionTasks(first: $first, after: $after, status: $status, dataSourceName: $dataSourceName) {
    nodes { ${TASK_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Page {
  nodes: Task[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Every task, newest first (keyed by the filters, so a new filter starts at the first page), filtered by status and data source, a page at a time; running ones refresh. */
export function TasksList({ query }: { query: URLSearchParams }) {
  const status = (STATUSES as string[]).includes(query.get('status') ?? '') ? (query.get('status') as Status) : '';
  const source = query.get('dataSource') ?? '';
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [actionError, setActionError] = useState<ApiError | undefined>();
  const [draftSource, setDraftSource] = useState(source);
  const [tick, setTick] = useState(0);
  const ids = { status: useId(), source: useId() };
  const principal = usePrincipal();
  const after = cursors[cursors.length - 1] ?? null;

  // biome-ignore lint/correctness/useExhaustiveDependencies: tick asks for a refresh of the same page.
  useEffect(() => {
    const controller = new AbortController();
    gql<{ ingestionTasks: Page }>(
      QUERY,
      { first: PAGE, after, status: status || null, dataSourceName: source || null },
      controller.signal,
    )
      .then((data) => {
        setPage(data.ingestionTasks);
        setError(undefined);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted)
          setError(caught instanceof ApiError ? caught : new ApiError('NETWORK_ERROR', String(caught)));
      });
    return () => controller.abort();
  }, [after, status, source, tick]);

  // Live updates: while a task on this page is still running, refresh the page every 2 seconds.
  const running = page?.nodes.some((task) => !TERMINAL.has(task.status)) ?? false;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setTick((t) => t + 1), 2000);
    return () => clearInterval(timer);
  }, [running]);

  const setFilter = (next: { status?: string; dataSource?: string }) => {
    const params = new URLSearchParams();
    const s = next.status ?? status;
    const d = next.dataSource ?? source;
    if (s) params.set('status', s);
    if (d) params.set('dataSource', d);
    const search = params.toString();
    navigate(`/tasks${search ? `?${search}` : ''}`);
  };

  const cancel = useCallback(async (task: Task) => {
    setActionError(undefined);
    try {
      await cancelTask(task.taskId);
    } catch (caught) {
      setActionError(caught instanceof ApiError ? caught : new ApiError('NETWORK_ERROR', String(caught)));
    }
    setTick((t) => t + 1);
  }, []);

  return (
    <section aria-labelledby="tasks-heading">
      <h1 id="tasks-heading">Tasks</h1>
      <form
        className="filters"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          setFilter({ dataSource: draftSource.trim() });
        }}
      >
        <div className="field">
          <label htmlFor={ids.status}>Status</label>
          <select id={ids.status} value={status} onChange={(event) => setFilter({ status: event.target.value })}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusWord(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.source}>Data source filter</label>
          <input
            id={ids.source}
            value={draftSource}
            placeholder="all data sources"
            onChange={(event) => setDraftSource(event.target.value)}
          />
        </div>
        <div className="field submit">
          <button type="submit" className="button secondary">
            Apply
          </button>
        </div>
      </form>
      {error || actionError ? <ProblemMessage problem={(error ?? actionError) as NonNullable<typeof error>} /> : null}
      {page && page.nodes.length === 0 ? (
        <p className="muted">
          No tasks{status || source ? ' match these filters' : ' yet'}. <Link href="/">Upload a file</Link>.
        </p>
      ) : null}
      {page && page.nodes.length > 0 ? (
        <div className="table-scroll">
          <table className="tasks-table stack">
            <caption className="visually-hidden">Tasks, newest first</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Data source</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Rows valid / total
                </th>
                <th scope="col">Uploaded</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.nodes.map((task) => (
                <tr key={task.taskId}>
                  <td data-label="File">
                    <Link href={`/tasks/${task.taskId}`}>{task.filename}</Link>
                    <div className="muted small">{formatBytes(task.fileSizeBytes)}</div>
                  </td>
                  <td data-label="Data source">
                    <Link href={`/sources/${encodeURIComponent(task.dataSourceName)}`}>{task.dataSourceName}</Link>
                  </td>
                  <td data-label="Status">
                    <span className={`status status-${task.status.toLowerCase()}`}>{statusWord(task.status)}</span>
                    {task.errorCode ? <div className="code small">{task.errorCode}</div> : null}
                  </td>
                  <td className="num" data-label="Rows valid / total">
                    {formatCount(task.rowsValid)} / {formatCount(task.rowsTotal)}
                  </td>
                  <td className="nowrap" data-label="Uploaded">
                    {formatTime(task.createdAt)}
                  </td>
                  <td className="actions">
                    {!TERMINAL.has(task.status) && mayCancel(principal, task.taskId) ? (
                      <button
                        type="button"
                        className="button danger small"
                        aria-label={`Cancel ${task.filename}`}
                        onClick={() => cancel(task)}
                      >
                        Cancel
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {page && (cursors.length > 1 || page.pageInfo.hasNextPage) ? (
        <Pager
          label="Task pages"
          page={cursors.length}
          hasPrevious={cursors.length > 1}
          hasNext={page.pageInfo.hasNextPage}
          previousText="Newer"
          nextText="Older"
          onPrevious={() => setCursors((c) => c.slice(0, -1))}
          onNext={() => setCursors((c) => [...c, page.pageInfo.endCursor])}
        />
      ) : null}
    </section>
  );
}

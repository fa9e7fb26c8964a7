import { useState } from 'react';
import { ApiError, cancelTask, type Status, type Task, TERMINAL } from './api.ts';
import { formatBytes, formatCount, formatDuration, formatTime, statusWord } from './format.ts';
import { useLiveTask, useNow } from './live.ts';
import { ErrorId, ProblemMessage } from './ProblemMessage.tsx';
import { Rejections } from './Rejections.tsx';
import { Link } from './router.tsx';
import { mayCancel, usePrincipal } from './session.ts';

const HAPPY_PATH: Status[] = ['PENDING', 'UPLOADED', 'VALIDATING', 'INGESTING', 'SUCCEEDED'];

const STEP_LABEL: Record<Status, string> = {
  PENDING: 'Receiving',
  UPLOADED: 'Uploaded',
  VALIDATING: 'Validating',
  INGESTING: 'Ingesting',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
};

/** What to do next after a task failed with this code. */
export function nextStep(code: string | null): string {
  switch (code) {
    case 'NO_TIMESTAMP_COLUMN':
      return 'Name the column that holds each row\'s date (timestampColumn), or give it a name with a date or time word (e.g. "Order Date", created_at) and values in a supported format (ISO 8601, 3/31/2025, 31.03.2025, Mar 31 2025, Unix seconds), then upload the file again.';
    case 'AMBIGUOUS_DATE_FORMAT':
      return 'Every date in the file reads both month-first and day-first. Upload it again and choose the date order (MDY: 3/4/2025 is March 4; DMY: it is 3 April).';
    case 'NO_DATA_ROWS':
      return 'The file has a header but no rows: check the export, then upload it again.';
    case 'INVALID_HEADER':
      return 'Give every column a unique, non-empty name (not __time or __task_id), then upload again.';
    case 'SCHEMA_MISMATCH':
      return 'This data source expects other columns. Make the columns match its schema (see the data source page) or upload under a new data source name.';
    case 'TOO_MANY_REJECTED_ROWS':
      return 'Nothing was loaded. Look at the rejected rows (line, column and reason), fix them in the file and upload it again.';
    case 'DECOMPRESSED_TOO_LARGE':
      return 'Split the data into smaller files and upload them one at a time.';
    case 'UPLOAD_INTERRUPTED':
      return 'The upload stopped before the end of the file: upload it again.';
    case 'CHECKSUM_MISMATCH':
      return 'The stored file changed after it was uploaded: upload it again.';
    case 'STORAGE_UNAVAILABLE':
    case 'DRUID_UNAVAILABLE':
      return 'A storage service did not answer. Upload the file again in a few minutes; nothing from this task was loaded.';
    default:
      return 'Upload the file again. If it fails the same way, send the task id to the operators.';
  }
}

/** The live view of one task: status, timeline with time per state, validation progress, row ledger, failure. */
export function TaskTracker(props: { taskId: string; initial?: Task; compact?: boolean; withRejections?: boolean }) {
  const { task, error, channel, setTask } = useLiveTask(props.taskId, props.initial);
  const principal = usePrincipal();
  const running = task ? !TERMINAL.has(task.status) : true;
  const now = useNow(running);
  const [cancelError, setCancelError] = useState<ApiError | undefined>();
  const [cancelling, setCancelling] = useState(false);

  if (!task) {
    return error ? <ProblemMessage problem={error} /> : <p className="muted">Loading the task…</p>;
  }

  const cancel = async () => {
    setCancelling(true);
    setCancelError(undefined);
    try {
      const next = await cancelTask(task.taskId);
      if (next) setTask(next);
    } catch (caught) {
      setCancelError(caught instanceof ApiError ? caught : new ApiError('NETWORK_ERROR', String(caught)));
    } finally {
      setCancelling(false);
    }
  };

  const headingId = `task-${task.taskId}`;
  const Heading = props.compact ? 'h3' : 'h2';
  return (
    <section className={`tracker${props.compact ? ' compact' : ''}`} aria-labelledby={headingId}>
      <div className="tracker-head">
        <Heading id={headingId} className="tracker-title">
          {props.compact ? 'Task ' : ''}
          {props.compact ? <Link href={`/tasks/${task.taskId}`}>{task.taskId.slice(0, 8)}</Link> : task.filename}
        </Heading>
        <span className={`status status-${task.status.toLowerCase()}`} role="status" aria-live="polite">
          {statusWord(task.status)}
        </span>
        <span className="channel muted">
          {channel === 'live' ? 'live' : channel === 'polling' ? 'polling every second' : channel === 'done' ? '' : '…'}
        </span>
        {running && mayCancel(principal, task.taskId) ? (
          <button type="button" className="button danger small" onClick={cancel} disabled={cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel task'}
          </button>
        ) : null}
      </div>
      {!props.compact ? (
        <p className="muted meta">
          Data source <Link href={`/sources/${encodeURIComponent(task.dataSourceName)}`}>{task.dataSourceName}</Link> ·{' '}
          {formatBytes(task.fileSizeBytes)} · {task.format ?? 'format not yet known'} · {task.mode.toLowerCase()} ·
          uploaded {formatTime(task.createdAt)} · attempt {task.attempt} · id <code>{task.taskId}</code>
        </p>
      ) : null}
      {cancelError ? <ProblemMessage problem={cancelError} /> : null}

      <Timeline task={task} now={now} />
      <ValidationProgress task={task} />
      <Ledger task={task} />

      {task.status === 'FAILED' ? (
        <div className="problem failure" role="alert">
          <p>
            <code className="code">{task.errorCode ?? 'FAILED'}</code> {task.errorMessage}
            {task.errorId ? <ErrorId id={task.errorId} /> : null}
          </p>
          <p>
            <strong>What to do next:</strong> {nextStep(task.errorCode)}
          </p>
        </div>
      ) : null}
      {task.status === 'CANCELLED' ? (
        <p className="notice">The task was cancelled; nothing from it is loaded.</p>
      ) : null}
      {task.status === 'SUCCEEDED' ? (
        <p className="notice success">
          {formatCount(task.rowsLoaded)} rows are loaded into <strong>{task.dataSourceName}</strong>
          {task.minTime ? ` (from ${formatTime(task.minTime)} to ${formatTime(task.maxTime)})` : ''}.{' '}
          <Link href={`/sources/${encodeURIComponent(task.dataSourceName)}`}>See the data source</Link>
        </p>
      ) : null}
      {props.compact ? (
        <p className="tracker-links">
          <Link href={`/tasks/${task.taskId}`}>
            Open the task
            {(task.rowsRejected ?? 0) > 0 ? ` and its ${formatCount(task.rowsRejected)} rejected rows` : ''}
          </Link>
        </p>
      ) : null}
      {props.withRejections &&
      (task.status === 'SUCCEEDED' || task.status === 'FAILED' || (task.rowsRejected ?? 0) > 0) ? (
        <Rejections taskId={task.taskId} rowsRejected={task.rowsRejected} />
      ) : null}
    </section>
  );
}

function Timeline({ task, now }: { task: Task; now: number }) {
  const history = task.statusHistory;
  const terminal = TERMINAL.has(task.status) ? task.status : undefined;
  const steps: Status[] = terminal && terminal !== 'SUCCEEDED' ? [...history.map((h) => h.status)] : HAPPY_PATH;
  const seen = new Map(history.map((entry, index) => [entry.status, index]));
  return (
    <ol className="timeline" aria-label="Task timeline">
      {steps.map((status) => {
        const index = seen.get(status);
        const entry = index === undefined ? undefined : history[index];
        const next = index === undefined ? undefined : history[index + 1];
        const current = status === task.status;
        const end = next ? Date.parse(next.at) : current && !terminal ? now : undefined;
        const spent = entry && end !== undefined ? Math.max(0, end - Date.parse(entry.at)) : undefined;
        const state = !entry ? 'todo' : current ? 'current' : 'done';
        return (
          <li key={status} className={`step step-${state} step-${status.toLowerCase()}`}>
            <span className="step-dot" aria-hidden="true" />
            <span className="step-name">{STEP_LABEL[status]}</span>
            <span className="step-time">
              {!entry
                ? 'not yet'
                : TERMINAL.has(status)
                  ? `${formatDuration(Date.parse(entry.at) - Date.parse(history[0]?.at ?? entry.at))} in all`
                  : spent !== undefined
                    ? formatDuration(spent)
                    : ''}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

function ValidationProgress({ task }: { task: Task }) {
  const fraction = task.fileSizeBytes > 0 ? Math.min(1, task.bytesProcessed / task.fileSizeBytes) : 0;
  const validating = task.status === 'VALIDATING';
  const started = task.bytesProcessed > 0 || task.rowsTotal !== null;
  return (
    <div className="validation">
      <progress max={1} value={fraction} aria-label="Validation progress" />
      <p className="progress-text">
        {validating || started ? (
          <span>
            {formatCount(task.rowsTotal ?? 0)} rows checked · {formatBytes(task.bytesProcessed)} of{' '}
            {formatBytes(task.fileSizeBytes)} read ({Math.floor(fraction * 100)} %)
          </span>
        ) : (
          <span>Validation has not started yet.</span>
        )}
      </p>
    </div>
  );
}

function Ledger({ task }: { task: Task }) {
  const cells: [string, number | null][] = [
    ['Total rows', task.rowsTotal],
    ['Valid', task.rowsValid],
    ['Rejected', task.rowsRejected],
    ['Loaded', task.rowsLoaded],
  ];
  return (
    <dl className="ledger" aria-label="Row ledger">
      {cells.map(([label, value]) => (
        <div key={label} className={`ledger-cell ledger-${label.split(' ')[0]?.toLowerCase()}`}>
          <dt>{label}</dt>
          <dd>{formatCount(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

import { type DragEvent, type FormEvent, type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError, type Task, uploadLimits } from './api.ts';
import { FilePreview } from './FilePreview.tsx';
import { formatBytes, formatDuration } from './format.ts';
import { ErrorId, ProblemMessage } from './ProblemMessage.tsx';
import { Link } from './router.tsx';
import { rememberUpload, roleAtLeast, usePrincipal } from './session.ts';
import { TaskTracker } from './TaskTracker.tsx';
import {
  checkFile,
  dataSourceProblem,
  type FileCheck,
  type Progress,
  type ReadingChoice,
  rememberChoice,
  rememberedChoice,
  UploadAborted,
  uploadFile,
} from './upload.ts';

type Phase = 'staged' | 'queued' | 'uploading' | 'accepted' | 'failed' | 'cancelled';

interface Item {
  id: number;
  file: File;
  check: 'checking' | 'ok' | FileCheck;
  phase: Phase;
  dataSourceName?: string;
  mode?: 'APPEND' | 'REPLACE';
  reading?: ReadingChoice;
  progress?: Progress;
  error?: { code: string; message: string; details?: string | null; errorId?: string | null };
  task?: Task;
}

const RECENT_KEY = 'tributary.recentDataSources';

function readRecent(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, 8) : [];
  } catch {
    return [];
  }
}

function rememberRecent(name: string): string[] {
  const next = [name, ...readRecent().filter((n) => n !== name)].slice(0, 8);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // Private mode or a full store: the list is a convenience only.
  }
  return next;
}

let nextId = 1;

/** The upload page: the uploader for UPLOADER and ADMIN; a VIEWER, who may not upload, is told so instead. */
export function UploadPage() {
  const principal = usePrincipal();
  if (roleAtLeast(principal.role, 'UPLOADER')) return <Uploader />;
  return (
    <section aria-labelledby="upload-heading">
      <h1 id="upload-heading">Upload sales data</h1>
      <p className="notice" role="note">
        Your key has the role <strong>{principal.role}</strong> in workspace <strong>{principal.workspace}</strong>: you
        can follow <Link href="/tasks">tasks</Link> and look at <Link href="/sources">data sources</Link>, but not
        upload. Ask an admin of your workspace for an UPLOADER key to upload files.
      </p>
    </section>
  );
}

export function Uploader() {
  const principal = usePrincipal();
  // Only an ADMIN may REPLACE; an UPLOADER appends (the server would answer FORBIDDEN).
  const mayReplace = roleAtLeast(principal.role, 'ADMIN');
  const [items, setItems] = useState<Item[]>([]);
  const [recent, setRecent] = useState<string[]>(readRecent);
  const [name, setName] = useState(() => readRecent()[0] ?? '');
  const [touched, setTouched] = useState(false);
  const [mode, setMode] = useState<'APPEND' | 'REPLACE'>('APPEND');
  // How to read the files: detected unless the user chooses; remembered per data source in this browser.
  const [choice, setChoice] = useState<ReadingChoice>(() =>
    rememberedChoice(principal.workspace, readRecent()[0] ?? ''),
  );
  const [maxBytes, setMaxBytes] = useState<number | undefined>();
  const [limitsError, setLimitsError] = useState<ApiError | undefined>();
  const [formMessage, setFormMessage] = useState<string | undefined>();
  const [dragging, setDragging] = useState(false);
  const handles = useRef(new Map<number, () => void>());
  const inputRef = useRef<HTMLInputElement>(null);
  const ids = { input: useId(), name: useId(), nameHint: useId(), mode: useId(), recent: useId(), form: useId() };

  useEffect(() => {
    uploadLimits()
      .then((limits) => setMaxBytes(limits.maxUploadBytes))
      .catch((error: unknown) =>
        setLimitsError(error instanceof ApiError ? error : new ApiError('NETWORK_ERROR', String(error))),
      );
  }, []);

  const update = useCallback((id: number, change: Partial<Item>) => {
    setItems((all) => all.map((item) => (item.id === id ? { ...item, ...change } : item)));
  }, []);

  const addFiles = (files: FileList | File[]) => {
    const added = Array.from(files).map((file): Item => ({ id: nextId++, file, check: 'checking', phase: 'staged' }));
    if (added.length === 0) return;
    setFormMessage(undefined);
    setItems((all) => [...all, ...added]);
    for (const item of added) {
      void (async () => {
        const limit =
          maxBytes ??
          (await uploadLimits().then(
            (l) => l.maxUploadBytes,
            () => undefined,
          ));
        const problem = await checkFile(item.file, limit).catch(() => null);
        update(item.id, { check: problem ?? 'ok' });
      })();
    }
  };

  // The queue: one upload at a time, in the order the files were queued.
  useEffect(() => {
    if (items.some((item) => item.phase === 'uploading')) return;
    const next = items.find((item) => item.phase === 'queued');
    if (!next || handles.current.has(next.id)) return;
    update(next.id, { phase: 'uploading', progress: { loaded: 0, total: next.file.size, bytesPerSecond: null } });
    const handle = uploadFile(
      {
        file: next.file,
        dataSourceName: next.dataSourceName ?? '',
        mode: next.mode ?? 'APPEND',
        reading: next.reading ?? {},
      },
      (progress) => update(next.id, { progress }),
    );
    handles.current.set(next.id, handle.abort);
    handle.done
      .then((result) => {
        if (result.__typename === 'UploadError') {
          update(next.id, {
            phase: 'failed',
            error: { code: result.code, message: result.message, details: result.details, errorId: result.errorId },
          });
        } else {
          rememberUpload(principal, result.taskId);
          update(next.id, { phase: 'accepted', task: result });
        }
      })
      .catch((error: unknown) => {
        if (error instanceof UploadAborted) update(next.id, { phase: 'cancelled' });
        else update(next.id, { phase: 'failed', error: { code: 'CLIENT_ERROR', message: String(error) } });
      })
      .finally(() => handles.current.delete(next.id));
  }, [items, update, principal]);

  const nameProblem = dataSourceProblem(name);
  const showNameProblem = touched && nameProblem !== null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    const staged = items.filter((item) => item.phase === 'staged');
    if (staged.length === 0) {
      setFormMessage('Choose a file first: drop it on the area above or press “Choose files”.');
      inputRef.current?.focus();
      return;
    }
    if (nameProblem) {
      setFormMessage(`Data source: ${nameProblem}`);
      document.getElementById(ids.name)?.focus();
      return;
    }
    const sendable = staged.filter((item) => item.check === 'ok');
    if (sendable.length === 0) {
      setFormMessage(
        staged.some((item) => item.check === 'checking')
          ? 'Still checking the files — press Upload again in a moment.'
          : 'None of the chosen files can be uploaded: see the reason next to each file.',
      );
      return;
    }
    setFormMessage(undefined);
    setRecent(rememberRecent(name));
    rememberChoice(principal.workspace, name, choice);
    const queued = new Set(sendable.map((item) => item.id));
    setItems((all) =>
      all.map((item) =>
        queued.has(item.id)
          ? { ...item, phase: 'queued', dataSourceName: name, mode: mayReplace ? mode : 'APPEND', reading: choice }
          : item,
      ),
    );
  };

  const cancel = (item: Item) => {
    if (item.phase === 'queued') update(item.id, { phase: 'cancelled' });
    else handles.current.get(item.id)?.();
  };
  const remove = (item: Item) => setItems((all) => all.filter((other) => other.id !== item.id));

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length > 0) addFiles(event.dataTransfer.files);
  };

  return (
    <section aria-labelledby="upload-heading">
      <h1 id="upload-heading">Upload sales data</h1>
      <form id={ids.form} className="upload-form" onSubmit={submit} noValidate>
        {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a mouse shortcut; the file input inside is the keyboard path. */}
        <div
          className={`drop-zone${dragging ? ' dragging' : ''}`}
          onDragEnter={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragOver={(event) => event.preventDefault()}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <input
            ref={inputRef}
            id={ids.input}
            className="visually-hidden"
            type="file"
            multiple
            accept=".csv,.tsv,.txt,.json,.jsonl,.ndjson,.gz,text/csv,text/tab-separated-values,application/gzip"
            onChange={(event) => {
              if (event.target.files) addFiles(event.target.files);
              event.target.value = '';
            }}
          />
          <label htmlFor={ids.input} className="drop-label">
            <span className="drop-title">Drop files here</span>
            <span className="drop-or">or</span>
            <span className="button secondary">Choose files</span>
            <span className="drop-hint">
              CSV, TSV or JSON lines, optionally gzip-compressed
              {maxBytes !== undefined ? ` · up to ${formatBytes(maxBytes)} each` : ''}
            </span>
          </label>
        </div>

        <div className="fields">
          <div className="field">
            <label htmlFor={ids.name}>Data source</label>
            <input
              id={ids.name}
              name="dataSourceName"
              value={name}
              list={ids.recent}
              autoComplete="off"
              spellCheck={false}
              aria-invalid={showNameProblem}
              aria-describedby={ids.nameHint}
              onChange={(event) => {
                setName(event.target.value);
                setChoice(rememberedChoice(principal.workspace, event.target.value));
                setTouched(true);
              }}
              onBlur={() => setTouched(true)}
            />
            <datalist id={ids.recent}>
              {recent.map((n) => (
                <option key={n} value={n} />
              ))}
            </datalist>
            <p id={ids.nameHint} className={showNameProblem ? 'hint error' : 'hint'} aria-live="polite">
              {showNameProblem ? nameProblem : '1–64 letters, digits, “_” or “-”, starting with a letter.'}
            </p>
          </div>
          {mayReplace ? (
            <div className="field">
              <label htmlFor={ids.mode}>Mode</label>
              <select
                id={ids.mode}
                value={mode}
                onChange={(event) => setMode(event.target.value as 'APPEND' | 'REPLACE')}
              >
                <option value="APPEND">Append rows</option>
                <option value="REPLACE">Replace the file’s days</option>
              </select>
              <p className="hint">Replace drops earlier rows of the days this file covers.</p>
            </div>
          ) : (
            <div className="field">
              <span className="label">Mode</span>
              <p className="static-value">Append rows</p>
              <p className="hint">Replacing the rows of a file’s days needs the ADMIN role.</p>
            </div>
          )}
          <div className="field submit">
            {/* Usable at once: each file's checks wait for the server's limit themselves. */}
            <button type="submit" className="button primary">
              Upload
            </button>
          </div>
        </div>
        <p className="form-message" role="alert">
          {formMessage}
          {limitsError && !formMessage ? (
            <>
              <code className="code">{limitsError.code}</code> Could not read the server’s upload limit: the server will
              check the size itself.
            </>
          ) : null}
        </p>
      </form>

      {items.length > 0 ? (
        <section aria-labelledby="queue-heading">
          <h2 id="queue-heading">Files</h2>
          <ol className="queue">
            {items.map((item) => (
              <QueueItem
                key={item.id}
                item={item}
                onCancel={cancel}
                onRemove={remove}
                preview={
                  item.phase === 'staged' && item.check === 'ok' && nameProblem === null ? (
                    <FilePreview file={item.file} dataSourceName={name} choice={choice} onChoice={setChoice} />
                  ) : null
                }
              />
            ))}
          </ol>
        </section>
      ) : null}
    </section>
  );
}

function QueueItem(props: {
  item: Item;
  onCancel: (item: Item) => void;
  onRemove: (item: Item) => void;
  preview: ReactNode;
}) {
  const { item } = props;
  const refused = typeof item.check === 'object' ? item.check : undefined;
  return (
    <li className={`queue-item phase-${item.phase}`} aria-label={item.file.name}>
      <div className="queue-head">
        <span className="file-name">{item.file.name}</span>
        <span className="muted">{formatBytes(item.file.size)}</span>
        <span className="queue-state">{phaseText(item)}</span>
        <span className="queue-actions">
          {item.phase === 'queued' || item.phase === 'uploading' ? (
            <button type="button" className="button danger small" onClick={() => props.onCancel(item)}>
              Cancel
            </button>
          ) : item.phase !== 'accepted' ? (
            <button
              type="button"
              className="button secondary small"
              aria-label={`Remove ${item.file.name}`}
              onClick={() => props.onRemove(item)}
            >
              Remove
            </button>
          ) : null}
        </span>
      </div>
      {refused && item.phase === 'staged' ? <ProblemMessage problem={refused} /> : null}
      {props.preview}
      {item.phase === 'uploading' || item.phase === 'queued' ? <UploadProgress item={item} /> : null}
      {item.phase === 'cancelled' ? (
        <p className="notice" role="status">
          Upload cancelled — nothing was stored.
        </p>
      ) : null}
      {item.phase === 'failed' && item.error ? (
        <div className="problem" role="alert">
          <p>
            <code className="code">{item.error.code}</code> {item.error.message}
          </p>
          {item.error.details ? <p className="muted">{item.error.details}</p> : null}
          {item.error.errorId ? (
            <p>
              <ErrorId id={item.error.errorId} />
            </p>
          ) : null}
        </div>
      ) : null}
      {item.phase === 'accepted' && item.task ? (
        <TaskTracker initial={item.task} taskId={item.task.taskId} compact />
      ) : null}
    </li>
  );
}

function phaseText(item: Item): string {
  switch (item.phase) {
    case 'staged':
      return item.check === 'checking' ? 'Checking…' : item.check === 'ok' ? 'Ready' : 'Refused';
    case 'queued':
      return 'Waiting';
    case 'uploading':
      return item.progress && item.progress.loaded >= item.progress.total ? 'Storing' : 'Uploading';
    case 'accepted':
      return 'Accepted';
    case 'failed':
      return 'Upload failed';
    case 'cancelled':
      return 'Cancelled';
  }
}

/** Bytes sent, speed and time left; the block keeps its height whatever it shows, so nothing below it moves. */
function UploadProgress({ item }: { item: Item }) {
  const progress = item.progress;
  const total = progress?.total || item.file.size || 1;
  const loaded = progress?.loaded ?? 0;
  const fraction = Math.min(1, loaded / total);
  const sentBytes = Math.round(fraction * item.file.size);
  const speed = progress?.bytesPerSecond ?? null;
  const left = speed && speed > 0 ? ((total - loaded) / speed) * 1000 : null;
  const stored = item.phase === 'uploading' && fraction >= 1;
  return (
    <div className="upload-progress">
      <progress max={1} value={fraction} aria-label={`Upload progress of ${item.file.name}`} />
      <p className="progress-text" aria-live="off">
        {item.phase === 'queued' ? (
          'Waiting for the files before it.'
        ) : stored ? (
          'All bytes sent — the server is storing the file…'
        ) : (
          <>
            <span>
              {formatBytes(sentBytes)} of {formatBytes(item.file.size)} ({Math.floor(fraction * 100)} %)
            </span>
            <span>{speed === null ? 'measuring speed…' : `${formatBytes(speed)}/s`}</span>
            <span>{left === null ? '' : `${formatDuration(left)} left`}</span>
          </>
        )}
      </p>
    </div>
  );
}

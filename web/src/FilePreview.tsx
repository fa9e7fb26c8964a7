import { useEffect, useId, useState } from 'react';
import { ApiError } from './api.ts';
import { nextStep } from './TaskTracker.tsx';
import { previewFile, type ReadingChoice, type UploadPreview } from './upload.ts';

const ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'Europe/Paris',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Australia/Sydney',
];

/**
 * What the server would make of a chosen file, before it is uploaded: the rows as they would be stored, the timestamp
 * column and its format, and what would fail. The user may pick the timestamp column, the date order and the time
 * zone; the choice goes with the upload (and is remembered for the data source).
 */
export function FilePreview(props: {
  file: File;
  dataSourceName: string;
  choice: ReadingChoice;
  onChoice: (choice: ReadingChoice) => void;
}) {
  const { file, dataSourceName, choice, onChoice } = props;
  const [preview, setPreview] = useState<UploadPreview | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [loading, setLoading] = useState(true);
  const ids = { column: useId(), order: useId(), zone: useId(), zones: useId() };

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    // A short pause: typing a data source name or a zone does not send a preview per key.
    const timer = setTimeout(() => {
      previewFile(file, dataSourceName, choice, controller.signal)
        .then((answer) => {
          setPreview(answer);
          setError(undefined);
        })
        .catch((e: unknown) => {
          if (controller.signal.aborted) return;
          setError(e instanceof ApiError ? e : new ApiError('NETWORK_ERROR', String(e)));
        })
        .finally(() => {
          if (!controller.signal.aborted) setLoading(false);
        });
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [file, dataSourceName, choice]);

  if (error) {
    return (
      <div className="problem" role="alert">
        <p>
          <code className="code">{error.code}</code> {error.message}
        </p>
      </div>
    );
  }
  if (!preview) return <p className="muted">{loading ? 'Reading the file…' : ''}</p>;
  const ambiguous = preview.problem?.code === 'AMBIGUOUS_DATE_FORMAT';
  const columnChoices = preview.header;
  return (
    <section className="preview" aria-label={`Preview of ${file.name}`} aria-busy={loading}>
      <p className="muted">
        {preview.format.toUpperCase()}
        {preview.delimiter ? `, delimiter ${preview.delimiter === '\t' ? 'tab' : `“${preview.delimiter}”`}` : ''},{' '}
        {preview.encoding}
        {preview.timestampFormat ? `, dates ${preview.timestampFormat}` : ''}
        {preview.decimalSeparator ? `, decimal “${preview.decimalSeparator}”` : ''} ·{' '}
        {preview.rowsValid.toLocaleString('en-US')} of {preview.rowsRead.toLocaleString('en-US')} rows read are valid
        {preview.complete ? '' : ' (first 10 MB)'}
      </p>
      <div className="fields">
        <div className="field">
          <label htmlFor={ids.column}>Timestamp column</label>
          <select
            id={ids.column}
            value={choice.timestampColumn ?? ''}
            onChange={(event) => onChoice({ ...choice, timestampColumn: event.target.value || undefined })}
          >
            <option value="">
              Detect{preview.timestampColumn && !choice.timestampColumn ? ` (${preview.timestampColumn})` : ''}
            </option>
            {columnChoices.map((column) => (
              <option key={column} value={column}>
                {column}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.order}>Date order</label>
          <select
            id={ids.order}
            value={choice.dateOrder ?? ''}
            aria-invalid={ambiguous && !choice.dateOrder}
            onChange={(event) =>
              onChoice({ ...choice, dateOrder: (event.target.value || undefined) as ReadingChoice['dateOrder'] })
            }
          >
            <option value="">Detect</option>
            <option value="MDY">Month first (3/4/2025 is March 4)</option>
            <option value="DMY">Day first (3/4/2025 is 3 April)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.zone}>Time zone</label>
          <input
            id={ids.zone}
            list={ids.zones}
            value={choice.timeZone ?? ''}
            placeholder={preview.timeZone}
            spellCheck={false}
            onChange={(event) => onChoice({ ...choice, timeZone: event.target.value.trim() || undefined })}
          />
          <datalist id={ids.zones}>
            {ZONES.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </div>
      </div>
      {preview.problem ? (
        <div className="problem" role="alert">
          <p>
            <code className="code">{preview.problem.code}</code> {preview.problem.message}
          </p>
          <p className="muted">{nextStep(preview.problem.code)}</p>
        </div>
      ) : null}
      {preview.rows.length > 0 ? (
        <div className="table-scroll">
          <table className="preview-rows">
            <caption className="visually-hidden">The first rows as they would be stored</caption>
            <thead>
              <tr>
                {preview.columns.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {preview.rows.map((row, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows of a preview have no identity but their place.
                <tr key={i}>
                  {row.map((value, j) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: cells are identified by their column's place.
                    <td key={j}>{value ?? <span className="muted">null</span>}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {preview.rejections.length > 0 ? (
        <details>
          <summary>
            {preview.rowsRejected.toLocaleString('en-US')} rejected row{preview.rowsRejected === 1 ? '' : 's'} in the
            part read
          </summary>
          <ul>
            {preview.rejections.slice(0, 10).map((r) => (
              <li key={`${r.line}-${r.code}`}>
                line {r.line}
                {r.column ? `, ${r.column}` : ''}: <code className="code">{r.code}</code> {r.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}

/**
 * Object keys are built by the server only. A client-supplied file name is reduced to a safe last
 * segment: it can never add a folder, climb out of one, or carry control characters.
 */
export function rawObjectKey(dataSourceName: string, taskId: string, filename: string, at: Date): string {
  const yyyy = String(at.getUTCFullYear()).padStart(4, '0');
  const mm = String(at.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(at.getUTCDate()).padStart(2, '0');
  return `raw/${dataSourceName}/${yyyy}/${mm}/${dd}/${taskId}/${sanitiseFilename(filename)}`;
}

export function validatedObjectKey(dataSourceName: string, taskId: string, attempt: number): string {
  return `${validatedPrefix(dataSourceName, taskId)}attempt-${attempt}.jsonl`;
}

/** Where every validated copy of one task is kept (one per attempt). */
export function validatedPrefix(dataSourceName: string, taskId: string): string {
  return `validated/${dataSourceName}/${taskId}/`;
}

export function sanitiseFilename(filename: string): string {
  const lastSegment = filename.normalize('NFC').split(/[/\\]/).at(-1) ?? '';
  const safe = lastSegment
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 120);
  return safe === '' ? 'upload' : safe;
}

/** A JSON value as the text the row checks see: null/missing → '' (empty), nested values → JSON text. */
export function jsonValueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The parsed object of a JSON line, or a description of why it is not one. */
export function parseJsonObject(
  line: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, message: `The line is not valid JSON (${(error as Error).message}).` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      message: `The line is JSON but not an object (found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}).`,
    };
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const field = object[key];
    if (field === null || typeof field !== 'object') continue;
    // Nested values are kept as their JSON text. V8 parses any depth but serialises recursively, so a value nested
    // ~10,000 deep cannot be turned into text: the line is rejected instead of failing the task.
    try {
      object[key] = JSON.stringify(field);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return { ok: false, message: `The value of ${JSON.stringify(key.slice(0, 100))} is nested too deeply to store.` };
    }
  }
  return { ok: true, value: object };
}

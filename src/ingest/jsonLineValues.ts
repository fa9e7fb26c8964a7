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
  return { ok: true, value: value as Record<string, unknown> };
}

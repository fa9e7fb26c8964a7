// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings must escape control characters
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON string literal for s; JSON.stringify only when s has something to escape. */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** A value quoted for a rejection message (JSON-style quotes, shortened when long). */
export function quoteValue(value: string, limit = 200): string {
  return JSON.stringify(value.length > limit ? `${value.slice(0, limit)}…` : value);
}

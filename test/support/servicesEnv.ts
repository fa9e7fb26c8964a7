import { readFileSync } from 'node:fs';

const file = new URL('../../.services.env', import.meta.url);

/**
 * The settings `npm run services:up` wrote (S3 API server, Druid), or null when the services are not up.
 * Tests that need them are skipped with this reason, never silently.
 */
export function readServicesEnv(): Record<string, string> | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  return parseDotenv(text);
}

/** KEY=value lines; comments and blank lines ignored; an unquoted trailing " # comment" is dropped. */
export function parseDotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw.trim());
    if (!match?.[1] || match[2] === undefined) continue;
    const value = match[2].trim();
    const quoted = /^(['"])(.*)\1$/.exec(value);
    env[match[1]] = quoted?.[2] !== undefined ? quoted[2] : value.replace(/\s+#.*$/, '');
  }
  return env;
}

export const servicesMissing = 'the S3 and Druid services are not running: start them with `npm run services:up`';

/** Only the settings the application reads for S3. */
export function s3Settings(env: Record<string, string>): Record<string, string> {
  const names = [
    'S3_ENDPOINT',
    'S3_BUCKET',
    'S3_REGION',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
    'S3_FORCE_PATH_STYLE',
  ];
  return Object.fromEntries(names.filter((name) => env[name] !== undefined).map((name) => [name, env[name] as string]));
}

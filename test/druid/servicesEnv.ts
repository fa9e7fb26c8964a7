import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** `.services.env` at the root of the clone, written by scripts/services/up.sh. */
export const servicesEnvPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.services.env');

/** `false`, or why the tests that need the local S3 + Druid services are skipped. */
export const skipWithoutServices: false | string = existsSync(servicesEnvPath)
  ? false
  : `${servicesEnvPath} is missing: the local S3 + Druid services are not running (start them with scripts/services/up.sh)`;

/** KEY=value lines; comments and blank lines ignored; an unquoted trailing " # comment" is dropped. */
export function parseDotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    let value = match[2].trim();
    const quoted = /^(['"])(.*)\1$/.exec(value);
    value = quoted?.[2] !== undefined ? quoted[2] : value.replace(/\s+#.*$/, '');
    env[match[1]] = value;
  }
  return env;
}

export interface ServicesEnv {
  druidUrl: string;
  s3Bucket: string;
  s3: S3Client;
}

export function loadServicesEnv(): ServicesEnv {
  const env = parseDotenv(readFileSync(servicesEnvPath, 'utf8'));
  const need = (key: string): string => {
    const value = env[key];
    if (!value) throw new Error(`${key} is missing from ${servicesEnvPath}`);
    return value;
  };
  return {
    druidUrl: need('DRUID_URL'),
    s3Bucket: need('S3_BUCKET'),
    s3: new S3Client({
      endpoint: need('S3_ENDPOINT'),
      region: need('S3_REGION'),
      forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false',
      credentials: { accessKeyId: need('S3_ACCESS_KEY_ID'), secretAccessKey: need('S3_SECRET_ACCESS_KEY') },
    }),
  };
}

export async function putObject(env: ServicesEnv, key: string, body: string): Promise<void> {
  await env.s3.send(new PutObjectCommand({ Bucket: env.s3Bucket, Key: key, Body: body }));
}

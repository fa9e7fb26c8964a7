import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readServicesEnv, servicesMissing } from '../support/servicesEnv.ts';

/** `false`, or why the tests that need the local S3 + Druid services are skipped. */
export const skipWithoutServices: false | string = readServicesEnv() ? false : servicesMissing;

export interface ServicesEnv {
  druidUrl: string;
  s3Bucket: string;
  s3: S3Client;
}

export function loadServicesEnv(): ServicesEnv {
  const env = readServicesEnv() ?? {};
  const need = (key: string): string => {
    const value = env[key];
    if (!value) throw new Error(`${key} is missing from .services.env`);
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

// Probes which integrity checks the S3 server in .services.env enforces.
// Run: cd <repo> && npx node scripts/services/s3-probe.ts   (needs `scripts/services/up.sh` first)
// Prints one line per check: the name, what the server answered, and whether that is what AWS S3 does.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env: Record<string, string> = {};
for (const line of readFileSync(join(repoRoot, '.services.env'), 'utf8').split('\n')) {
  const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
  if (m?.[1] !== undefined && m[2] !== undefined) env[m[1]] = m[2];
}
const need = (k: string): string => {
  const v = process.env[k] ?? env[k];
  if (v === undefined || v === '') throw new Error(`${k} missing from .services.env`);
  return v;
};

const Bucket = need('S3_BUCKET');
const makeClient = (secret = need('S3_SECRET_ACCESS_KEY')) =>
  new S3Client({
    endpoint: need('S3_ENDPOINT'),
    region: need('S3_REGION'),
    forcePathStyle: true,
    credentials: { accessKeyId: need('S3_ACCESS_KEY_ID'), secretAccessKey: secret },
  });
const s3 = makeClient();
const prefix = `probe-${Date.now()}/`;

type Outcome = { ok: boolean; detail: string };
const results: { name: string; expected: string; got: string; asAws: boolean }[] = [];

async function attempt(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    const r = await fn();
    const status = (r as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    return { ok: true, detail: `ok ${status ?? ''}`.trim() };
  } catch (e) {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { ok: false, detail: `${err.$metadata?.httpStatusCode ?? '?'} ${err.name ?? ''}: ${err.message ?? ''}` };
  }
}

async function check(name: string, awsRejects: boolean, fn: () => Promise<unknown>, after?: () => Promise<string>) {
  const o = await attempt(fn);
  let got = o.ok ? `accepted (${o.detail})` : `rejected (${o.detail.slice(0, 160)})`;
  if (after) got += `; ${await after().catch((e: Error) => `after-check failed: ${e.name} ${e.message}`)}`;
  results.push({ name, expected: awsRejects ? 'rejected' : 'accepted', got, asAws: o.ok !== awsRejects });
}

const body = Buffer.from('hello tributary\n');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');
const readBack = async (Key: string): Promise<string> => {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket, Key }));
    return `stored: ${JSON.stringify(await r.Body?.transformToString())}`;
  } catch {
    return 'not stored';
  }
};

await check('PutObject, default SDK checksum (CRC32 header), Buffer body', false, () =>
  s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}plain`, Body: body })),
);
await check('PutObject, default SDK checksum, stream body of unknown length (aws-chunked + trailer)', false, () =>
  s3.send(
    new PutObjectCommand({
      Bucket,
      Key: `${prefix}stream`,
      Body: Readable.from([body, body]),
      ContentLength: body.length * 2,
    }),
  ),
);
await check('PutObject, correct Content-MD5', false, () =>
  s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}md5ok`, Body: body, ContentMD5: md5(body) })),
);
await check(
  'PutObject, wrong Content-MD5',
  true,
  () =>
    s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}md5bad`, Body: body, ContentMD5: md5(Buffer.from('x')) })),
  () => readBack(`${prefix}md5bad`),
);
await check('PutObject, correct x-amz-checksum-sha256', false, () =>
  s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}shaok`, Body: body, ChecksumSHA256: sha256(body) })),
);
await check(
  'PutObject, wrong x-amz-checksum-sha256',
  true,
  () =>
    s3.send(
      new PutObjectCommand({ Bucket, Key: `${prefix}shabad`, Body: body, ChecksumSHA256: sha256(Buffer.from('x')) }),
    ),
  () => readBack(`${prefix}shabad`),
);
await check(
  'PutObject, wrong x-amz-checksum-crc32',
  true,
  () => s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}crcbad`, Body: body, ChecksumCRC32: 'AAAAAA==' })),
  () => readBack(`${prefix}crcbad`),
);
await check(
  'PutObject, If-None-Match: * on an existing key',
  true,
  () =>
    s3.send(
      new PutObjectCommand({ Bucket, Key: `${prefix}plain`, Body: Buffer.from('overwritten\n'), IfNoneMatch: '*' }),
    ),
  () => readBack(`${prefix}plain`),
);
await check('PutObject, If-None-Match: * on a new key', false, () =>
  s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}fresh`, Body: body, IfNoneMatch: '*' })),
);
await check('PutObject with a wrong secret key', true, () =>
  makeClient('wrong-secret').send(new PutObjectCommand({ Bucket, Key: `${prefix}badsig`, Body: body })),
);
await check('HeadObject on a missing key', true, () =>
  s3.send(new HeadObjectCommand({ Bucket, Key: `${prefix}missing` })),
);

// Multipart, step by step.
const mpKey = `${prefix}multipart`;
const part = randomBytes(5 * 1024 * 1024);
let uploadId = '';
await check('CreateMultipartUpload', false, async () => {
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: mpKey }));
  uploadId = r.UploadId ?? '';
  return r;
});
const etags: string[] = [];
await check('UploadPart x2 (5 MiB + 1 KiB)', false, async () => {
  for (const [i, b] of [part, part.subarray(0, 1024)].entries()) {
    const r = await s3.send(
      new UploadPartCommand({ Bucket, Key: mpKey, UploadId: uploadId, PartNumber: i + 1, Body: b }),
    );
    etags.push(r.ETag ?? '');
  }
});
await check('UploadPart, wrong Content-MD5', true, () =>
  s3.send(
    new UploadPartCommand({
      Bucket,
      Key: mpKey,
      UploadId: uploadId,
      PartNumber: 3,
      Body: body,
      ContentMD5: md5(Buffer.from('x')),
    }),
  ),
);
let listed = '';
await check(
  'ListMultipartUploads shows the open upload',
  false,
  async () => {
    const r = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: prefix }));
    listed = JSON.stringify((r.Uploads ?? []).map((u) => u.Key));
    if (!(r.Uploads ?? []).some((u) => u.UploadId === uploadId)) throw new Error(`not listed: ${listed}`);
    return r;
  },
  async () => `uploads: ${listed}`,
);
await check('ListParts', false, async () => {
  const r = await s3.send(new ListPartsCommand({ Bucket, Key: mpKey, UploadId: uploadId }));
  if ((r.Parts ?? []).length < 2) throw new Error(`parts: ${r.Parts?.length}`);
  return r;
});
await check(
  'CompleteMultipartUpload',
  false,
  () =>
    s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: mpKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    ),
  async () => {
    const h = await s3.send(new HeadObjectCommand({ Bucket, Key: mpKey }));
    return `size ${h.ContentLength}, etag ${h.ETag}`;
  },
);
await check('AbortMultipartUpload, then ListMultipartUploads is empty', false, async () => {
  const c = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: `${mpKey}-aborted` }));
  await s3.send(
    new UploadPartCommand({ Bucket, Key: `${mpKey}-aborted`, UploadId: c.UploadId, PartNumber: 1, Body: body }),
  );
  await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: `${mpKey}-aborted`, UploadId: c.UploadId }));
  const r = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: prefix }));
  if ((r.Uploads ?? []).length !== 0) throw new Error(`still listed: ${JSON.stringify(r.Uploads)}`);
  return r;
});
await check('lib-storage Upload of a 12 MiB stream (3 parts)', false, async () => {
  const data = randomBytes(12 * 1024 * 1024);
  const up = new Upload({
    client: s3,
    params: { Bucket, Key: `${prefix}libstorage`, Body: Readable.from([data]) },
    partSize: 5 * 1024 * 1024,
  });
  await up.done();
  const got = await s3.send(new GetObjectCommand({ Bucket, Key: `${prefix}libstorage` }));
  const back = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
  if (!back.equals(data)) throw new Error('content differs');
  return got;
});

// Clean up what the probe wrote.
const listing = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
for (const o of listing.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket, Key: o.Key }));

for (const r of results) {
  console.log(`${r.asAws ? 'as-AWS ' : 'DIFFERS'} | ${r.name} | AWS: ${r.expected} | got: ${r.got}`);
}

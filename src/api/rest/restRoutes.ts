import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../app/Services.ts';
import type { Principal } from '../../auth/Principal.ts';
import { deleteDataSource } from '../../datasources/deleteDataSource.ts';
import { AppError } from '../../errors/AppError.ts';
import { type ReadingOptions, readingOptionsFrom } from '../../ingest/readingOptions.ts';
import { cancelTask } from '../../tasks/cancelTask.ts';
import { type IngestionStatus, type IngestMode, ingestionStatuses } from '../../tasks/IngestionTask.ts';
import { assertIdempotencyKey } from '../../upload/IdempotencyKeys.ts';
import { multipartParts } from '../multipart/multipartParts.ts';
import { refuseMoreParts } from '../multipart/refuseMoreParts.ts';
import { taskView } from '../taskView.ts';
import { REJECTIONS_CSV_HEADER, rejectionCsvRecord } from './rejectionsCsv.ts';

const CSV_PAGE = 5000;
const UPLOAD_FIELDS = new Set([
  'dataSourceName',
  'mode',
  'allowDuplicate',
  'timestampColumn',
  'dateOrder',
  'timeZone',
  'decimalSeparator',
]);
const PREVIEW_FIELDS = new Set(['dataSourceName', 'timestampColumn', 'dateOrder', 'timeZone', 'decimalSeparator']);
const TASK_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const taskParams = {
  type: 'object',
  required: ['taskId'],
  additionalProperties: false,
  properties: { taskId: { type: 'string', pattern: TASK_ID_PATTERN } },
} as const;
const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

/** REST API under /api/v1: upload, task status, task list, rejections CSV, cancel; each route states its role. */
export async function restRoutes(app: FastifyInstance, options: { services: Services }): Promise<void> {
  const { tasks, rejections, uploads, previews, audit, config } = options.services;

  app.post(
    '/api/v1/uploads',
    { config: { access: 'UPLOADER' }, schema: { querystring: noQuery } },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new AppError('INVALID_REQUEST', 'send multipart/form-data with the fields dataSourceName, then file');
      }
      const principal = request.principal as Principal;
      const idempotencyKey = request.headers['idempotency-key'];
      if (Array.isArray(idempotencyKey)) throw new AppError('INVALID_REQUEST', 'send one Idempotency-Key');
      if (idempotencyKey !== undefined) assertIdempotencyKey(idempotencyKey);
      const fields = new Map<string, string>();
      const parts = multipartParts(request, { idleMs: config.security.uploadIdleTimeoutSeconds * 1000 });
      for await (const part of parts) {
        if (part.type === 'field') {
          if (part.valueTruncated) throw new AppError('INVALID_REQUEST', 'a field is longer than 1 MiB');
          if (!UPLOAD_FIELDS.has(part.fieldname) || fields.has(part.fieldname)) {
            throw new AppError(
              'INVALID_REQUEST',
              `unexpected field "${part.fieldname.slice(0, 100)}"; send dataSourceName and optionally mode, allowDuplicate, timestampColumn, dateOrder, timeZone and decimalSeparator, once each, then file`,
            );
          }
          fields.set(part.fieldname, String(part.value));
          continue;
        }
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw new AppError(
            'INVALID_REQUEST',
            `unexpected file field "${part.fieldname.slice(0, 100)}"; name it "file"`,
          );
        }
        const dataSourceName = fields.get('dataSourceName');
        if (dataSourceName === undefined) {
          part.file.resume();
          throw new AppError('INVALID_REQUEST', 'the dataSourceName field must come before the file field');
        }
        const mode = parseMode(fields.get('mode'));
        const allowDuplicate = parseFlag(fields.get('allowDuplicate'), 'allowDuplicate');
        try {
          const readingOptions = readingOptionsOf(fields);
          const task = await uploads.receive({
            principal,
            dataSourceName,
            filename: part.filename,
            mode,
            allowDuplicate,
            readingOptions,
            ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
            file: part.file,
            beforeCommit: () => refuseMoreParts(parts),
          });
          return reply.code(202).header('location', `/api/v1/tasks/${task.taskId}`).send(taskView(task));
        } finally {
          if (!part.file.readableEnded) {
            reply.header('connection', 'close');
            part.file.resume();
          }
        }
      }
      throw new AppError('INVALID_REQUEST', 'the request has no "file" field');
    },
  );

  app.post(
    '/api/v1/previews',
    { config: { access: 'UPLOADER' }, schema: { querystring: noQuery } },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new AppError('INVALID_REQUEST', 'send multipart/form-data with the fields dataSourceName, then file');
      }
      const principal = request.principal as Principal;
      const fields = new Map<string, string>();
      const parts = multipartParts(request, { idleMs: config.security.uploadIdleTimeoutSeconds * 1000 });
      for await (const part of parts) {
        if (part.type === 'field') {
          if (part.valueTruncated) throw new AppError('INVALID_REQUEST', 'a field is longer than 1 MiB');
          if (!PREVIEW_FIELDS.has(part.fieldname) || fields.has(part.fieldname)) {
            throw new AppError(
              'INVALID_REQUEST',
              `unexpected field "${part.fieldname.slice(0, 100)}"; send dataSourceName and optionally timestampColumn, dateOrder, timeZone and decimalSeparator, once each, then file`,
            );
          }
          fields.set(part.fieldname, String(part.value));
          continue;
        }
        const dataSourceName = fields.get('dataSourceName');
        if (part.fieldname !== 'file' || dataSourceName === undefined) {
          part.file.resume();
          throw new AppError('INVALID_REQUEST', 'send the dataSourceName field, then the file field named "file"');
        }
        try {
          const preview = await previews.preview({
            principal,
            dataSourceName,
            reading: readingOptionsOf(fields),
            file: part.file,
          });
          return reply.code(200).send(preview);
        } finally {
          if (!part.file.readableEnded) {
            // Only the first 10 MB are read: drop the rest and close the connection.
            reply.header('connection', 'close');
            part.file.resume();
          }
        }
      }
      throw new AppError('INVALID_REQUEST', 'the request has no "file" field');
    },
  );

  app.get(
    '/api/v1/tasks',
    {
      config: { access: 'VIEWER' },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            first: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
            after: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' },
            status: { type: 'string', enum: [...ingestionStatuses] },
            dataSourceName: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' },
          },
        },
      },
    },
    async (request) => {
      const query = request.query as {
        first: number;
        after?: string;
        status?: IngestionStatus;
        dataSourceName?: string;
      };
      const page = await tasks.list({
        workspace: (request.principal as Principal).workspace,
        first: query.first,
        after: query.after ?? null,
        status: query.status ?? null,
        dataSourceName: query.dataSourceName ?? null,
      });
      return {
        tasks: page.tasks.map(taskView),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      };
    },
  );

  app.get(
    '/api/v1/tasks/:taskId',
    { config: { access: 'VIEWER' }, schema: { params: taskParams, querystring: noQuery } },
    async (request) => {
      const { taskId } = request.params as { taskId: string };
      const task = await tasks.get((request.principal as Principal).workspace, taskId);
      if (!task) throw new AppError('TASK_NOT_FOUND', `no task ${taskId}`);
      return taskView(task);
    },
  );

  app.post(
    '/api/v1/tasks/:taskId/cancel',
    { config: { access: 'UPLOADER' }, schema: { params: taskParams, querystring: noQuery } },
    async (request) => {
      const { taskId } = request.params as { taskId: string };
      const task = await cancelTask({ tasks, audit }, request.principal as Principal, taskId);
      if (!task) throw new AppError('TASK_NOT_FOUND', `no task ${taskId}`);
      return taskView(task);
    },
  );

  app.delete(
    '/api/v1/data-sources/:name',
    {
      config: { access: 'ADMIN' },
      schema: {
        params: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' } },
        },
        querystring: noQuery,
      },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      await deleteDataSource(options.services, request.principal as Principal, name);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/tasks/:taskId/rejections.csv',
    { config: { access: 'VIEWER' }, schema: { params: taskParams, querystring: noQuery } },
    async (request, reply) => {
      const { taskId } = request.params as { taskId: string };
      const task = await tasks.get((request.principal as Principal).workspace, taskId);
      if (!task) throw new AppError('TASK_NOT_FOUND', `no task ${taskId}`);
      async function* csv() {
        yield REJECTIONS_CSV_HEADER;
        let afterLine = 0;
        for (;;) {
          const page = await rejections.list(taskId, CSV_PAGE, afterLine);
          if (page.length === 0) return;
          yield page.map(rejectionCsvRecord).join('');
          afterLine = page.at(-1)?.line ?? afterLine;
        }
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="rejections-${taskId}.csv"`)
        .send(Readable.from(csv()));
    },
  );
}

function parseFlag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new AppError('INVALID_REQUEST', `${name} must be true or false, got "${value.slice(0, 40)}"`);
}

function parseMode(value: string | undefined): IngestMode {
  if (value === undefined || value === '' || value === 'APPEND') return 'APPEND';
  if (value === 'REPLACE') return 'REPLACE';
  throw new AppError('INVALID_REQUEST', `mode must be APPEND or REPLACE, got "${value.slice(0, 40)}"`);
}

/** The reading options among an upload's or a preview's multipart fields (checked: INVALID_REQUEST). */
function readingOptionsOf(fields: Map<string, string>): ReadingOptions {
  return readingOptionsFrom({
    timestampColumn: fields.get('timestampColumn'),
    dateOrder: fields.get('dateOrder'),
    timeZone: fields.get('timeZone'),
    decimalSeparator: fields.get('decimalSeparator'),
  });
}

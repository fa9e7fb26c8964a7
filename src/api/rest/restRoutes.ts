import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../app/Services.ts';
import { AppError } from '../../errors/AppError.ts';
import { type IngestionStatus, type IngestMode, ingestionStatuses } from '../../tasks/IngestionTask.ts';
import { sendProblem } from '../problem.ts';
import { taskView } from '../taskView.ts';
import { REJECTIONS_CSV_HEADER, rejectionCsvRecord } from './rejectionsCsv.ts';

const CSV_PAGE = 5000;

/** REST API under /api/v1: upload, task status, task list, rejections CSV, cancel. */
export async function restRoutes(app: FastifyInstance, options: { services: Services }): Promise<void> {
  const { tasks, uploads } = options.services;

  app.post('/api/v1/uploads', async (request, reply) => {
    if (!request.isMultipart()) {
      throw new AppError('INVALID_REQUEST', 'send multipart/form-data with the fields dataSourceName, then file');
    }
    const fields: Record<string, string> = {};
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new AppError('INVALID_REQUEST', `unexpected file field "${part.fieldname}"; name it "file"`);
      }
      const dataSourceName = fields.dataSourceName;
      if (dataSourceName === undefined) {
        part.file.resume();
        throw new AppError('INVALID_REQUEST', 'the dataSourceName field must come before the file field');
      }
      const mode = parseMode(fields.mode);
      try {
        const task = await uploads.receive({ dataSourceName, filename: part.filename, mode, file: part.file });
        return reply.code(202).header('location', `/api/v1/tasks/${task.taskId}`).send(taskView(task));
      } finally {
        if (!part.file.readableEnded) {
          reply.header('connection', 'close');
          part.file.resume();
        }
      }
    }
    throw new AppError('INVALID_REQUEST', 'the request has no "file" field');
  });

  app.get('/api/v1/tasks', async (request) => {
    const query = request.query as Record<string, string | undefined>;
    const status = query.status;
    if (status !== undefined && !ingestionStatuses.includes(status as IngestionStatus)) {
      throw new AppError('INVALID_REQUEST', `status must be one of ${ingestionStatuses.join(', ')}`);
    }
    const first = Math.min(Math.max(Number.parseInt(query.first ?? '20', 10) || 20, 1), 1000);
    const page = await tasks.list({
      first,
      after: query.after ?? null,
      status: (status as IngestionStatus | undefined) ?? null,
      dataSourceName: query.dataSourceName ?? null,
    });
    return { tasks: page.tasks.map(taskView), pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  });

  app.get('/api/v1/tasks/:taskId', async (request, reply) => {
    const { taskId } = request.params as { taskId: string };
    const task = await tasks.get(taskId);
    if (!task) return sendProblem(reply, new AppError('TASK_NOT_FOUND', `no task ${taskId}`), request.url);
    return taskView(task);
  });

  app.post('/api/v1/tasks/:taskId/cancel', async (request, reply) => {
    const { taskId } = request.params as { taskId: string };
    const cancelled = await tasks.cancel(taskId);
    const task = await tasks.get(taskId);
    if (!task) return sendProblem(reply, new AppError('TASK_NOT_FOUND', `no task ${taskId}`), request.url);
    if (!cancelled && task.status !== 'CANCELLED') {
      return sendProblem(reply, new AppError('TASK_NOT_CANCELLABLE', `the task is ${task.status}`), request.url);
    }
    return taskView(task);
  });

  app.get('/api/v1/tasks/:taskId/rejections.csv', async (request, reply) => {
    const { taskId } = request.params as { taskId: string };
    const task = await tasks.get(taskId);
    if (!task) return sendProblem(reply, new AppError('TASK_NOT_FOUND', `no task ${taskId}`), request.url);
    async function* csv() {
      yield REJECTIONS_CSV_HEADER;
      let afterLine = 0;
      for (;;) {
        const page = await tasks.listRejections(taskId, CSV_PAGE, afterLine);
        if (page.length === 0) return;
        yield page.map(rejectionCsvRecord).join('');
        afterLine = page.at(-1)?.line ?? afterLine;
      }
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="rejections-${taskId}.csv"`)
      .send(Readable.from(csv()));
  });
}

function parseMode(value: string | undefined): IngestMode {
  if (value === undefined || value === '' || value === 'APPEND') return 'APPEND';
  if (value === 'REPLACE') return 'REPLACE';
  throw new AppError('INVALID_REQUEST', `mode must be APPEND or REPLACE, got "${value}"`);
}

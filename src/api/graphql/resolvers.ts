import type { IResolvers } from '@graphql-tools/utils';
import type { Services } from '../../app/Services.ts';
import { AppError, toAppError } from '../../errors/AppError.ts';
import type { IngestionStatus, IngestionTask, IngestMode } from '../../tasks/IngestionTask.ts';
import { encodeTaskCursor } from '../../tasks/TaskStore.ts';
import { statusHistory } from '../taskView.ts';
import { DateTimeScalar, type UploadedFile, UploadScalar } from './scalars.ts';

interface UploadErrorValue {
  __typename: 'UploadError';
  code: string;
  message: string;
  details: string | null;
}

const MAX_PAGE = 1000;

export function createResolvers(services: Services): IResolvers {
  const { tasks, uploads, analytics, taskUpdates } = services;
  return {
    Upload: UploadScalar,
    DateTime: DateTimeScalar,
    UploadSalesDataResult: {
      __resolveType: (value: IngestionTask | UploadErrorValue) =>
        '__typename' in value ? 'UploadError' : 'IngestionTaskStatus',
    },
    IngestionTaskStatus: {
      rejections: (task: IngestionTask, args: { first: number; afterLine: number }) =>
        tasks.listRejections(task.taskId, clamp(args.first), Math.max(0, args.afterLine)),
      statusHistory: (task: IngestionTask) => statusHistory(task),
    },
    Query: {
      ingestionTask: (_: unknown, args: { taskId: string }) => tasks.get(args.taskId),
      ingestionTasks: async (
        _: unknown,
        args: { first: number; after?: string; status?: IngestionStatus; dataSourceName?: string },
      ) => {
        const page = await tasks.list({ ...args, first: clamp(args.first) });
        return {
          nodes: page.tasks,
          edges: page.tasks.map((node) => ({ node, cursor: encodeTaskCursor(node) })),
          pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
        };
      },
      dataSourceSummary: async (_: unknown, args: { dataSourceName: string }) => {
        const schema = await tasks.getSchema(args.dataSourceName);
        return schema ? analytics.summary(args.dataSourceName, schema) : null;
      },
      dataSourceSchema: (_: unknown, args: { dataSourceName: string }) => tasks.getSchema(args.dataSourceName),
      dataSourceTimeSeries: async (_: unknown, args: { dataSourceName: string; metric: string }) => {
        const schema = await tasks.getSchema(args.dataSourceName);
        if (!schema?.metrics.some((m) => m.name === args.metric)) return [];
        return analytics.dailySums(args.dataSourceName, args.metric);
      },
      uploadLimits: () => ({
        maxUploadBytes: services.config.maxUploadBytes,
        maxRejectedRatio: services.config.maxRejectedRatio,
      }),
    },
    Mutation: {
      uploadSalesData: async (
        _: unknown,
        args: { file: UploadedFile; dataSourceName: string; mode: IngestMode },
      ): Promise<IngestionTask | UploadErrorValue> => {
        try {
          return await uploads.receive({
            dataSourceName: args.dataSourceName,
            filename: args.file.filename,
            mode: args.mode,
            file: args.file.stream,
          });
        } catch (error) {
          const appError = toAppError(error);
          if (appError.code === 'INTERNAL') services.log.error({ err: error }, 'upload failed');
          return {
            __typename: 'UploadError',
            code: appError.code,
            message: appError.message,
            details: appError.details ?? null,
          };
        }
      },
      cancelIngestionTask: async (_: unknown, args: { taskId: string }) => {
        await tasks.cancel(args.taskId);
        return tasks.get(args.taskId);
      },
    },
    Subscription: {
      ingestionTaskUpdated: {
        subscribe: async function* (_: unknown, args: { taskId: string }) {
          if (!(await tasks.get(args.taskId))) throw new AppError('TASK_NOT_FOUND', `no task ${args.taskId}`);
          for await (const task of taskUpdates.watch(args.taskId)) yield { ingestionTaskUpdated: task };
        },
      },
    },
  };
}

function clamp(first: number): number {
  return Math.min(Math.max(1, first), MAX_PAGE);
}

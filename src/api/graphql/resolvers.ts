import type { IResolvers } from '@graphql-tools/utils';
import type { Services } from '../../app/Services.ts';
import { actorOf, type Role } from '../../auth/Principal.ts';
import { deleteDataSource } from '../../datasources/deleteDataSource.ts';
import { AppError } from '../../errors/AppError.ts';
import { type ReadingOptionsInput, readingOptionsFrom } from '../../ingest/readingOptions.ts';
import type { UploadPreview } from '../../preview/previewFile.ts';
import { cancelTask } from '../../tasks/cancelTask.ts';
import type { IngestionStatus, IngestionTask, IngestMode } from '../../tasks/IngestionTask.ts';
import { assertTaskId, encodeTaskCursor } from '../../tasks/TaskStore.ts';
import { assertDataSourceName } from '../../upload/dataSourceName.ts';
import { createWorkspace } from '../../workspaces/createWorkspace.ts';
import { rejectionCountList, statusHistory } from '../taskView.ts';
import { abortableSource } from './abortableSource.ts';
import type { GraphqlContext } from './GraphqlContext.ts';
import { DateTimeScalar, type UploadedFile, UploadScalar } from './scalars.ts';
import { type UploadErrorValue, uploadErrorOf } from './uploadError.ts';

const MAX_PAGE = 1000;
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The resolvers; every root field is scoped to the caller's workspace (access rules are applied around them). */
export function createResolvers(services: Services): IResolvers<unknown, GraphqlContext> {
  const { tasks, rejections, dataSources, uploads, analytics, taskUpdates, keys, audit, log } = services;

  /** A data source of the caller's workspace that has a schema; null as if absent otherwise. */
  const dataSourceOf = async (context: GraphqlContext, name: string) => {
    assertDataSourceName(name);
    return (await dataSources.get(context.principal.workspace, name)) ?? null;
  };

  return {
    Upload: UploadScalar,
    DateTime: DateTimeScalar,
    UploadSalesDataResult: {
      __resolveType: (value: IngestionTask | UploadErrorValue) =>
        '__typename' in value ? 'UploadError' : 'IngestionTaskStatus',
    },
    PreviewUploadResult: {
      __resolveType: (value: UploadPreview | UploadErrorValue) =>
        '__typename' in value ? 'UploadError' : 'UploadPreview',
    },
    IngestionTaskStatus: {
      rejections: (task: IngestionTask, args: { first: number; afterLine: number }) =>
        rejections.list(task.taskId, clamp(args.first), Math.max(0, args.afterLine)),
      statusHistory: (task: IngestionTask) => statusHistory(task),
      rejectionCounts: (task: IngestionTask) => rejectionCountList(task.rejectionCounts),
    },
    Query: {
      me: (_: unknown, __: unknown, { principal }: GraphqlContext) => principal,
      apiKeys: (_: unknown, __: unknown, { principal }: GraphqlContext) => keys.list(principal.workspace),
      auditEvents: async (
        _: unknown,
        args: { first: number; after?: string | null },
        { principal }: GraphqlContext,
      ) => {
        const page = await audit.list({
          workspace: principal.workspace,
          includeUnscoped: principal.serverAdmin,
          first: clamp(args.first),
          after: args.after ?? null,
        });
        return { nodes: page.events, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
      },
      ingestionTask: (_: unknown, args: { taskId: string }, { principal }: GraphqlContext) => {
        assertTaskId(args.taskId);
        return tasks.get(principal.workspace, args.taskId);
      },
      ingestionTasks: async (
        _: unknown,
        args: { first: number; after?: string; status?: IngestionStatus; dataSourceName?: string },
        { principal }: GraphqlContext,
      ) => {
        if (args.dataSourceName) assertDataSourceName(args.dataSourceName);
        const page = await tasks.list({ ...args, workspace: principal.workspace, first: clamp(args.first) });
        return {
          nodes: page.tasks,
          edges: page.tasks.map((node) => ({ node, cursor: encodeTaskCursor(node) })),
          pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
        };
      },
      dataSourceSummary: async (_: unknown, args: { dataSourceName: string }, context: GraphqlContext) => {
        const dataSource = await dataSourceOf(context, args.dataSourceName);
        return dataSource?.schema ? analytics.summary(dataSource.storeName, dataSource.schema) : null;
      },
      dataSourceSchema: async (_: unknown, args: { dataSourceName: string }, context: GraphqlContext) =>
        (await dataSourceOf(context, args.dataSourceName))?.schema ?? null,
      dataSourceTimeSeries: async (
        _: unknown,
        args: { dataSourceName: string; metric: string },
        context: GraphqlContext,
      ) => {
        const dataSource = await dataSourceOf(context, args.dataSourceName);
        if (!dataSource?.schema?.metrics.some((m) => m.name === args.metric)) return [];
        return analytics.dailySums(dataSource.storeName, args.metric);
      },
      uploadLimits: () => ({
        maxUploadBytes: services.config.maxUploadBytes,
        maxRejectedRatio: services.config.maxRejectedRatio,
      }),
    },
    Mutation: {
      uploadSalesData: async (
        _: unknown,
        args: {
          file: UploadedFile;
          dataSourceName: string;
          mode: IngestMode;
          allowDuplicate: boolean;
        } & ReadingOptionsInput,
        { principal }: GraphqlContext,
      ): Promise<IngestionTask | UploadErrorValue> => {
        try {
          return await uploads.receive({
            principal,
            dataSourceName: args.dataSourceName,
            filename: args.file.filename,
            mode: args.mode,
            allowDuplicate: args.allowDuplicate,
            readingOptions: readingOptionsFrom(args),
            file: args.file.stream,
            ...(args.file.beforeCommit ? { beforeCommit: args.file.beforeCommit } : {}),
          });
        } catch (error) {
          return uploadErrorOf(error, log);
        }
      },
      previewUpload: async (
        _: unknown,
        args: { file: UploadedFile; dataSourceName: string } & ReadingOptionsInput,
        { principal }: GraphqlContext,
      ): Promise<UploadPreview | UploadErrorValue> => {
        try {
          return await services.previews.preview({
            principal,
            dataSourceName: args.dataSourceName,
            reading: readingOptionsFrom(args),
            file: args.file.stream,
          });
        } catch (error) {
          return uploadErrorOf(error, log);
        }
      },
      cancelIngestionTask: async (_: unknown, args: { taskId: string }, { principal }: GraphqlContext) =>
        cancelTask({ tasks, audit }, principal, args.taskId),
      createWorkspace: (_: unknown, args: { name: string }, { principal }: GraphqlContext) =>
        createWorkspace(services, principal, args.name),
      createApiKey: async (_: unknown, args: { name: string; role: Role }, { principal }: GraphqlContext) => {
        const created = await keys.create({
          workspace: principal.workspace,
          name: args.name,
          role: args.role,
          createdBy: actorOf(principal),
        });
        await audit.record({
          workspace: principal.workspace,
          actor: actorOf(principal),
          action: 'apikey.created',
          target: created.apiKey.id,
          details: `"${created.apiKey.name}" ${created.apiKey.role}`,
        });
        return created;
      },
      deleteDataSource: async (_: unknown, args: { name: string }, { principal }: GraphqlContext) => {
        await deleteDataSource(services, principal, args.name);
        return true;
      },
      revokeApiKey: async (_: unknown, args: { id: string }, { principal }: GraphqlContext) => {
        if (!KEY_ID.test(args.id)) throw new AppError('INVALID_REQUEST', 'a key id is a UUID');
        const revoked = await keys.revoke(principal.workspace, args.id);
        if (!revoked) throw new AppError('API_KEY_NOT_FOUND', `no key ${args.id} in this workspace`);
        await audit.record({
          workspace: principal.workspace,
          actor: actorOf(principal),
          action: 'apikey.revoked',
          target: revoked.id,
          details: `"${revoked.name}" ${revoked.role}`,
        });
        return revoked;
      },
    },
    Subscription: {
      ingestionTaskUpdated: {
        // Checks run at the first read, so a refusal reaches the client as the subscription's error message.
        subscribe: (_: unknown, args: { taskId: string }, { principal }: GraphqlContext) =>
          abortableSource(
            async function* (signal) {
              assertTaskId(args.taskId);
              if (!(await tasks.get(principal.workspace, args.taskId))) {
                throw new AppError('TASK_NOT_FOUND', `no task ${args.taskId}`);
              }
              yield* taskUpdates.watch(args.taskId, signal);
            },
            (task) => ({ ingestionTaskUpdated: task }),
          ),
      },
    },
  };
}

function clamp(first: number): number {
  return Math.min(Math.max(1, first), MAX_PAGE);
}

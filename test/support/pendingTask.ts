import { randomUUID } from 'node:crypto';
import type { TestApp } from './testApp.ts';

/**
 * A task of workspace `default` in PENDING (as while its file arrives), written straight to the task store: a task
 * that stays cancellable and holds subscriptions open for as long as a test needs.
 */
export async function pendingTask(
  app: TestApp,
  options: { dataSourceName: string; createdBy: string; workspace?: string },
): Promise<string> {
  const taskId = randomUUID();
  await app.services.tasks.createPending({
    taskId,
    workspace: options.workspace ?? 'default',
    dataSourceName: options.dataSourceName,
    filename: 'pending.csv',
    objectKey: `raw/pending/${taskId}/pending.csv`,
    mode: 'APPEND',
    createdBy: options.createdBy,
  });
  return taskId;
}

import type { AuditLog } from '../audit/AuditLog.ts';
import { actorOf, type Principal, roleAtLeast } from '../auth/Principal.ts';
import { AppError } from '../errors/AppError.ts';
import type { IngestionTask } from './IngestionTask.ts';
import { assertTaskId, type TaskStore } from './TaskStore.ts';

/**
 * Cancels a task of the caller's workspace: an ADMIN any task, an UPLOADER only the tasks it uploaded. A task that has
 * finished, or whose rows are being committed to the analytics store (past the commit point), is TASK_NOT_CANCELLABLE;
 * cancelling a cancelled task again answers it as it is. Null when the workspace has no such task.
 */
export async function cancelTask(
  deps: { tasks: TaskStore; audit: AuditLog },
  principal: Principal,
  taskId: string,
): Promise<IngestionTask | null> {
  assertTaskId(taskId);
  const task = await deps.tasks.get(principal.workspace, taskId);
  if (!task) return null;
  const actor = actorOf(principal);
  if (!roleAtLeast(principal.role, 'ADMIN') && task.createdBy !== actor) {
    throw new AppError('FORBIDDEN', 'an UPLOADER may cancel only the tasks it uploaded');
  }
  const cancelled = await deps.tasks.cancel(principal.workspace, taskId);
  if (cancelled) {
    await deps.audit.record({
      workspace: principal.workspace,
      actor,
      action: 'task.cancelled',
      target: taskId,
      details: `was ${task.status}`,
    });
  }
  const after = await deps.tasks.get(principal.workspace, taskId);
  if (!after) return null;
  if (!cancelled && after.status !== 'CANCELLED') {
    throw new AppError(
      'TASK_NOT_CANCELLABLE',
      after.status === 'SUCCEEDED' || after.status === 'FAILED'
        ? `the task is ${after.status}`
        : 'its rows are being committed to the analytics store',
    );
  }
  return after;
}

import type { TaskAttempts } from '../../tasks/TaskAttempts.ts';

/**
 * What the Druid store records about a task's load, in the task's own row (written through TaskAttempts): its place in
 * the data source's load queue, the store's view before a REPLACE, the undo of a publish that must not stay, and when
 * the load is settled. Druid publishes before our commit point, so this journal is what lets any process finish taking
 * a publish back after the one that started it died.
 */
export type LoadJournal = Pick<
  TaskAttempts,
  | 'queueStoreLoad'
  | 'storeLoadBlockers'
  | 'succeededAmong'
  | 'recordStoreBefore'
  | 'fateOf'
  | 'storeLoadOf'
  | 'recordStoreUndo'
  | 'markStoreUndone'
  | 'settleStoreLoad'
  | 'unsettledStoreLoads'
>;

-- The analytics store's journal of a task's load (Druid): its place in the data source's load queue, what a REPLACE
-- replaced, and the undo of a publish that must not stay. Druid publishes before our commit point, so whatever it
-- published for a task that then does not succeed is taken back by a durable, retried step recorded here.

-- Loads of one data source start in this order: APPENDs together, a REPLACE alone on its days (see storeLoadBlockers).
CREATE SEQUENCE store_load_order;
ALTER TABLE tasks ADD COLUMN load_order bigint;
-- The whole UTC days the load writes, [start, end).
ALTER TABLE tasks ADD COLUMN load_interval_start timestamptz;
ALTER TABLE tasks ADD COLUMN load_interval_end timestamptz;
-- A REPLACE: the store's view of its days just before it was submitted (the segments it replaces, their rows).
ALTER TABLE tasks ADD COLUMN store_before jsonb;
-- A publish to take back (the store's plan: what to mark unused, what to mark used again, why), and when that was done.
ALTER TABLE tasks ADD COLUMN store_undo jsonb;
ALTER TABLE tasks ADD COLUMN store_undone_at timestamptz;
-- Set once the store holds nothing of the task that must not stay and no store job of the task can still publish:
-- until then the task keeps its place in the queue, and a task that did not succeed is looked at again.
ALTER TABLE tasks ADD COLUMN store_settled_at timestamptz;
-- The loads still in a queue (a task that succeeded leaves it by its status).
CREATE INDEX tasks_store_load_queue ON tasks (workspace, lower(data_source_name), load_order)
  WHERE load_order IS NOT NULL AND store_settled_at IS NULL AND status <> 'SUCCEEDED';

-- The analytics store's own job for a task (a Druid task id and its state), and what REPLACE replaced.
ALTER TABLE tasks ADD COLUMN store_task_id text;
ALTER TABLE tasks ADD COLUMN store_state text;
ALTER TABLE tasks ADD COLUMN replaced_interval_start timestamptz;
ALTER TABLE tasks ADD COLUMN replaced_interval_end timestamptz;

-- What the sweeper removed of a finished task: its validated copies (once finished), its raw file and rejections
-- (after RETENTION_DAYS). The task row itself stays.
ALTER TABLE tasks ADD COLUMN validated_removed_at timestamptz;
ALTER TABLE tasks ADD COLUMN raw_removed_at timestamptz;
CREATE INDEX tasks_finished ON tasks (updated_at) WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED');

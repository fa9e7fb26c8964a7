-- One commit point per task, bounded rejections, schemas only from success.

-- Rejected rows per code for the whole file (only the first MAX_STORED_REJECTIONS are kept in task_rejections).
ALTER TABLE tasks ADD COLUMN rejection_counts jsonb NOT NULL DEFAULT '{}';
UPDATE tasks t SET rejection_counts = c.counts
  FROM (SELECT task_id, jsonb_object_agg(code, n) AS counts
        FROM (SELECT task_id, code, count(*) AS n FROM task_rejections GROUP BY task_id, code) per_code
        GROUP BY task_id) c
  WHERE c.task_id = t.id;

-- Set by the worker just before the analytics store commits the task's rows: from then on the task can no longer be
-- cancelled (TASK_NOT_CANCELLABLE), and a new attempt finishes the load instead of starting over.
ALTER TABLE tasks ADD COLUMN committing_at timestamptz;

-- A data source's schema is claimed by the task that inferred it while that task loads (schema_final false), and
-- becomes final when that task SUCCEEDED; a claim of a task that failed or was cancelled is released.
ALTER TABLE data_sources ADD COLUMN schema_task_id text;
ALTER TABLE data_sources ADD COLUMN schema_final boolean NOT NULL DEFAULT true;
UPDATE data_sources SET schema_final = false WHERE schema IS NULL;
-- What validation accepted (valid rows, metric sums): a new attempt after the commit point checks the store against it.
ALTER TABLE tasks ADD COLUMN ledger jsonb;

-- An APPEND of a file (same SHA-256) that a SUCCEEDED task of the data source already loaded fails DUPLICATE_FILE,
-- unless the upload says allowDuplicate.
ALTER TABLE tasks ADD COLUMN allow_duplicate boolean NOT NULL DEFAULT false;
CREATE INDEX tasks_sha256 ON tasks (workspace, lower(data_source_name), sha256) WHERE status IN ('INGESTING', 'SUCCEEDED');

-- REST Idempotency-Key: the first answer (its task) for a repeat of the same request.
CREATE TABLE idempotency_keys (
  workspace     text NOT NULL REFERENCES workspaces (name),
  key           text NOT NULL,
  request_hash  text NOT NULL,
  task_id       text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace, key)
);

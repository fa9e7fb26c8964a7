-- Workspaces, API keys, browser sessions and the audit log; every task and data source belongs to a workspace.
CREATE TABLE workspaces (
  name        text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
INSERT INTO workspaces (name) VALUES ('default');

CREATE TABLE api_keys (
  id             text PRIMARY KEY,
  workspace      text NOT NULL REFERENCES workspaces (name),
  name           text NOT NULL,
  role           text NOT NULL CHECK (role IN ('VIEWER', 'UPLOADER', 'ADMIN')),
  server_admin   boolean NOT NULL DEFAULT false,
  secret_sha256  text NOT NULL UNIQUE,
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  last_used_at   timestamptz,
  revoked_at     timestamptz
);
CREATE INDEX api_keys_workspace ON api_keys (workspace, created_at);

CREATE TABLE sessions (
  secret_sha256  text PRIMARY KEY,
  key_id         text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL
);
CREATE INDEX sessions_key_id ON sessions (key_id);

CREATE TABLE audit_events (
  id         bigserial PRIMARY KEY,
  workspace  text REFERENCES workspaces (name),
  at         timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  actor      text NOT NULL,
  action     text NOT NULL,
  target     text,
  details    text
);
CREATE INDEX audit_events_workspace ON audit_events (workspace, id DESC);

-- Data sources: unique per workspace, case-insensitively (name_key is the lower-case name); `name` keeps the first
-- spelling; `store_name` names the DuckDB table / Druid datasource / object key prefix. Existing data sources keep
-- the store name they were loaded under (their own name), and move into the workspace `default`. Of names that differ
-- only in case, the first created stays (they already shared one DuckDB table).
ALTER TABLE data_sources ADD COLUMN workspace text NOT NULL DEFAULT 'default' REFERENCES workspaces (name);
ALTER TABLE data_sources ALTER COLUMN workspace DROP DEFAULT;
ALTER TABLE data_sources ADD COLUMN name_key text;
UPDATE data_sources SET name_key = lower(name);
DELETE FROM data_sources d USING data_sources e
  WHERE e.name_key = d.name_key AND (e.created_at, e.name) < (d.created_at, d.name);
ALTER TABLE data_sources ADD COLUMN store_name text;
UPDATE data_sources SET store_name = name;
ALTER TABLE data_sources DROP CONSTRAINT data_sources_pkey;
ALTER TABLE data_sources ADD PRIMARY KEY (workspace, name_key);
ALTER TABLE data_sources ALTER COLUMN name_key SET NOT NULL;
ALTER TABLE data_sources ALTER COLUMN store_name SET NOT NULL;
ALTER TABLE data_sources ADD CONSTRAINT data_sources_store_name UNIQUE (store_name);
-- A data source exists from its first upload; its schema is stored later, by the first validated file.
ALTER TABLE data_sources ALTER COLUMN schema DROP NOT NULL;
INSERT INTO data_sources (workspace, name, name_key, store_name, schema, created_at)
  SELECT DISTINCT ON (lower(data_source_name)) 'default', data_source_name, lower(data_source_name), data_source_name,
    NULL, created_at
  FROM tasks ORDER BY lower(data_source_name), created_at
  ON CONFLICT DO NOTHING;

ALTER TABLE tasks ADD COLUMN workspace text NOT NULL DEFAULT 'default' REFERENCES workspaces (name);
ALTER TABLE tasks ALTER COLUMN workspace DROP DEFAULT;
-- Tasks show their data source's first spelling.
UPDATE tasks t SET data_source_name = d.name
  FROM data_sources d WHERE d.workspace = t.workspace AND d.name_key = lower(t.data_source_name)
  AND t.data_source_name <> d.name;
-- Who uploaded the task (`key:<id>` or `oidc:<subject>`): an UPLOADER may cancel its own tasks only.
ALTER TABLE tasks ADD COLUMN created_by text;
-- A server error's id, quoted by the client and found in the logs with the underlying error.
ALTER TABLE tasks ADD COLUMN error_id text;
-- Tasks that failed before this version kept another system's text (DuckDB, Druid, S3, the database) in their
-- message: clients now see the catalogue message only.
UPDATE tasks SET error_message = CASE error_code
    WHEN 'INTERNAL' THEN 'An internal error occurred. The error has been logged.'
    WHEN 'STORAGE_UNAVAILABLE' THEN 'A storage service is unavailable. Try again shortly.'
    WHEN 'DRUID_UNAVAILABLE' THEN 'Apache Druid did not answer within the retry period. The stored file is kept; upload it again later.'
    ELSE 'The Druid ingestion task failed. Druid''s own error is in the server log under the error id.'
  END
  WHERE error_code IN ('INTERNAL', 'STORAGE_UNAVAILABLE', 'DRUID_UNAVAILABLE', 'DRUID_TASK_FAILED');
DROP INDEX tasks_created_at;
DROP INDEX tasks_data_source_name;
DROP INDEX tasks_status;
CREATE INDEX tasks_workspace_created_at ON tasks (workspace, created_at DESC, id DESC);
CREATE INDEX tasks_workspace_data_source ON tasks (workspace, lower(data_source_name), created_at DESC);
CREATE INDEX tasks_workspace_status ON tasks (workspace, status, created_at DESC);
CREATE INDEX tasks_pending ON tasks (workspace, updated_at) WHERE status = 'PENDING';

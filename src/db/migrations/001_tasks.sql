-- Ingestion tasks, their rejected rows, and the schema of each data source.
CREATE TABLE data_sources (
  name        text PRIMARY KEY,
  schema      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
  id                 text PRIMARY KEY,
  data_source_name   text NOT NULL,
  filename           text NOT NULL,
  file_size_bytes    bigint NOT NULL DEFAULT 0,
  sha256             text,
  object_key         text NOT NULL,
  format             text,
  gzip               boolean NOT NULL DEFAULT false,
  mode               text NOT NULL DEFAULT 'APPEND',
  status             text NOT NULL CHECK (status IN ('PENDING', 'UPLOADED', 'VALIDATING', 'INGESTING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  status_times       jsonb NOT NULL DEFAULT '{}',
  attempt            integer NOT NULL DEFAULT 0,
  bytes_processed    bigint NOT NULL DEFAULT 0,
  rows_total         integer,
  rows_valid         integer,
  rows_rejected      integer,
  rows_loaded        integer,
  min_time           timestamptz,
  max_time           timestamptz,
  error_code         text,
  error_message      text,
  created_at         timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_created_at ON tasks (created_at DESC, id DESC);
CREATE INDEX tasks_data_source_name ON tasks (data_source_name, created_at DESC);
CREATE INDEX tasks_status ON tasks (status, created_at DESC);

CREATE TABLE task_rejections (
  task_id      text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  line         integer NOT NULL,
  column_name  text,
  code         text NOT NULL,
  message      text NOT NULL,
  raw          text,
  PRIMARY KEY (task_id, line)
);

-- Every change to a task is announced, so subscriptions in any API process see it.
CREATE FUNCTION notify_task_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tributary_task_updated', NEW.id);
  RETURN NEW;
END
$$;
CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION notify_task_updated();

-- What an upload says about reading its file (issue 9): timestampColumn, dateOrder, timeZone, decimalSeparator.
-- Each key is optional; detection and the data source's stored settings decide the rest.
ALTER TABLE tasks ADD COLUMN reading_options jsonb NOT NULL DEFAULT '{}'::jsonb;
-- What the upload's content showed: its text encoding (the worker transcodes to UTF-8) and field delimiter (null for
-- JSON lines). Tasks uploaded before this migration were UTF-8, comma- or tab-delimited.
ALTER TABLE tasks ADD COLUMN encoding text;
ALTER TABLE tasks ADD COLUMN delimiter text;

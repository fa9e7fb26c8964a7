-- What an upload says about reading its file (issue 9): timestampColumn, dateOrder, timeZone, decimalSeparator.
-- Each key is optional; detection and the data source's stored settings decide the rest.
ALTER TABLE tasks ADD COLUMN reading_options jsonb NOT NULL DEFAULT '{}'::jsonb;

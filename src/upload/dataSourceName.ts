import { AppError } from '../errors/AppError.ts';

const DATA_SOURCE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** 1–64 letters, digits, `_` or `-`, starting with a letter; it names a table, a folder and a Druid data source. */
export function assertDataSourceName(name: string): void {
  if (!DATA_SOURCE_NAME.test(name)) {
    throw new AppError('INVALID_DATASOURCE_NAME', `"${name.slice(0, 80)}" is not a valid data source name`);
  }
}

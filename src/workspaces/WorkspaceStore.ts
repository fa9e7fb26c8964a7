import type { SqlExecutor } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';

export interface Workspace {
  name: string;
  createdAt: Date;
}

/** 1–32 lower-case letters, digits or `-`, starting with a letter; never `.`, which separates it in store names. */
const WORKSPACE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export const DEFAULT_WORKSPACE = 'default';

export function assertWorkspaceName(name: string): void {
  if (!WORKSPACE_NAME.test(name)) {
    throw new AppError('INVALID_WORKSPACE_NAME', `"${printable(name)}" is not a valid workspace name`);
  }
}

/** Workspaces: every task, data source, key and audit event belongs to exactly one. */
export class WorkspaceStore {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async create(name: string, tx: SqlExecutor = this.#db): Promise<Workspace> {
    assertWorkspaceName(name);
    const rows = await tx.query<{ name: string; created_at: Date }>(
      'INSERT INTO workspaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING name, created_at',
      [name],
    );
    const row = rows[0];
    if (!row) throw new AppError('WORKSPACE_EXISTS', `a workspace named "${name}" already exists`);
    return { name: row.name, createdAt: row.created_at };
  }

  async exists(name: string): Promise<boolean> {
    if (!WORKSPACE_NAME.test(name)) return false;
    const rows = await this.#db.query('SELECT 1 FROM workspaces WHERE name = $1', [name]);
    return rows.length === 1;
  }
}

/** A client-supplied string made safe to quote in a message: control characters shown as `?`, at most 80 long. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return text.slice(0, 80).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
}

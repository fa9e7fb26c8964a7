import type { SqlExecutor } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';

export type AuditAction =
  | 'upload.accepted'
  | 'datasource.replace'
  | 'datasource.deleted'
  | 'task.cancelled'
  | 'apikey.created'
  | 'apikey.revoked'
  | 'workspace.created'
  | 'session.opened'
  | 'session.closed'
  | 'auth.refused';

export interface AuditEvent {
  id: string;
  at: Date;
  actor: string;
  action: AuditAction;
  target: string | null;
  details: string | null;
}

export interface AuditEventPage {
  events: AuditEvent[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Who did what, per workspace. Refused authentications that name no known workspace are kept without one. */
export class AuditLog {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async record(
    event: { workspace: string | null; actor: string; action: AuditAction; target?: string | null; details?: string },
    tx: SqlExecutor = this.#db,
  ): Promise<void> {
    await tx.query('INSERT INTO audit_events (workspace, actor, action, target, details) VALUES ($1, $2, $3, $4, $5)', [
      event.workspace,
      event.actor.slice(0, 300),
      event.action,
      event.target?.slice(0, 300) ?? null,
      event.details?.slice(0, 1000) ?? null,
    ]);
  }

  /** Newest first. A server admin also sees the events that belong to no workspace (refused authentications). */
  async list(options: {
    workspace: string;
    includeUnscoped: boolean;
    first: number;
    after: string | null;
  }): Promise<AuditEventPage> {
    const params: unknown[] = [options.workspace, options.first + 1];
    let cursorCondition = '';
    if (options.after !== null) {
      if (!/^[1-9]\d{0,17}$/.test(options.after)) throw new AppError('INVALID_REQUEST', '"after" is not a cursor');
      params.push(options.after);
      cursorCondition = 'AND id < $3::bigint';
    }
    const scope = options.includeUnscoped ? '(workspace = $1 OR workspace IS NULL)' : 'workspace = $1';
    const rows = await this.#db.query<AuditEvent>(
      `SELECT id::text AS id, at, actor, action, target, details FROM audit_events
       WHERE ${scope} ${cursorCondition} ORDER BY audit_events.id DESC LIMIT $2`,
      params,
    );
    const events = rows.slice(0, options.first);
    return {
      events,
      hasNextPage: rows.length > options.first,
      endCursor: events.at(-1)?.id ?? null,
    };
  }
}

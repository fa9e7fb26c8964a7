import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';
import { newApiKeySecret, secretHash } from './apiKeySecret.ts';
import type { Role } from './Principal.ts';

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  workspace: string;
  serverAdmin: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  workspace: string;
  server_admin: boolean;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const KEY_NAME = /^[^\p{Cc}\p{Cf}]{1,100}$/u;
const LAST_USED_RESOLUTION_MS = 60_000;

/** API keys: only a SHA-256 of each secret is stored; the secret is returned once, at creation. */
export class ApiKeyStore {
  readonly #db: SqlExecutor;
  /** When this process last wrote each key's last_used_at (written at most once a minute per key). */
  readonly #touched = new Map<string, number>();

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async create(
    input: {
      workspace: string;
      name: string;
      role: Role;
      serverAdmin?: boolean;
      createdBy: string | null;
      secret?: string;
    },
    tx: SqlExecutor = this.#db,
  ): Promise<{ apiKey: ApiKey; secret: string }> {
    const name = input.name.trim();
    if (!KEY_NAME.test(name)) {
      throw new AppError('INVALID_REQUEST', 'a key name is 1–100 characters without control characters');
    }
    const secret = input.secret ?? newApiKeySecret();
    const rows = await tx.query<ApiKeyRow>(
      `INSERT INTO api_keys (id, workspace, name, role, server_admin, secret_sha256, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        randomUUID(),
        input.workspace,
        name,
        input.role,
        input.serverAdmin ?? false,
        secretHash(secret),
        input.createdBy,
      ],
    );
    return { apiKey: toApiKey(rows[0] as ApiKeyRow), secret };
  }

  /** The key with this secret, revoked or not (a revoked key is refused by the caller); null when unknown. */
  async findBySecret(secret: string): Promise<ApiKey | null> {
    const rows = await this.#db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE secret_sha256 = $1', [
      secretHash(secret),
    ]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async findById(id: string): Promise<ApiKey | null> {
    const rows = await this.#db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  /** Records that a key was used, at most once a minute per key and process (a write per request would be waste). */
  async touch(id: string): Promise<void> {
    const now = Date.now();
    if (now - (this.#touched.get(id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.#touched.set(id, now);
    if (this.#touched.size > 10_000) this.#touched.clear();
    await this.#db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
  }

  async list(workspace: string): Promise<ApiKey[]> {
    const rows = await this.#db.query<ApiKeyRow>(
      'SELECT * FROM api_keys WHERE workspace = $1 ORDER BY created_at, id',
      [workspace],
    );
    return rows.map(toApiKey);
  }

  /** Revokes a key of this workspace (again: unchanged); null when the workspace has no such key. */
  async revoke(workspace: string, id: string): Promise<ApiKey | null> {
    const rows = await this.#db.query<ApiKeyRow>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE workspace = $1 AND id = $2 RETURNING *`,
      [workspace, id],
    );
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async count(tx: SqlExecutor = this.#db): Promise<number> {
    const rows = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys');
    return rows[0]?.n ?? 0;
  }
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    workspace: row.workspace,
    serverAdmin: row.server_admin,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

import { randomBytes } from 'node:crypto';
import type { SqlExecutor } from '../db/SqlDatabase.ts';
import { secretHash } from './apiKeySecret.ts';

/** Sessions one key may hold at once (browsers, devices); the oldest ends when a newer one opens. */
export const MAX_SESSIONS_PER_KEY = 20;

/** Browser sessions, stored server-side (only a hash of the cookie value); a session dies with its key. */
export class SessionStore {
  readonly #db: SqlExecutor;
  readonly #ttlMs: number;

  constructor(db: SqlExecutor, options: { ttlHours: number }) {
    this.#db = db;
    this.#ttlMs = options.ttlHours * 3_600_000;
  }

  /** Opens a session for a key; returns the cookie value and when it expires. */
  async open(keyId: string): Promise<{ secret: string; expiresAt: Date }> {
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.#ttlMs);
    await this.#db.query('DELETE FROM sessions WHERE expires_at < now()');
    await this.#db.query('INSERT INTO sessions (secret_sha256, key_id, expires_at) VALUES ($1, $2, $3)', [
      secretHash(secret),
      keyId,
      expiresAt,
    ]);
    // A key keeps its newest MAX_SESSIONS_PER_KEY sessions: signing in again and again cannot grow the table.
    await this.#db.query(
      `DELETE FROM sessions WHERE key_id = $1 AND secret_sha256 NOT IN (
         SELECT secret_sha256 FROM sessions WHERE key_id = $1 ORDER BY created_at DESC LIMIT $2)`,
      [keyId, MAX_SESSIONS_PER_KEY],
    );
    return { secret, expiresAt };
  }

  /** The key of a live session (not expired, key not revoked); null otherwise. */
  async keyIdOf(secret: string): Promise<string | null> {
    const rows = await this.#db.query<{ key_id: string }>(
      `SELECT s.key_id FROM sessions s JOIN api_keys k ON k.id = s.key_id
       WHERE s.secret_sha256 = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
      [secretHash(secret)],
    );
    return rows[0]?.key_id ?? null;
  }

  async close(secret: string): Promise<void> {
    await this.#db.query('DELETE FROM sessions WHERE secret_sha256 = $1', [secretHash(secret)]);
  }
}

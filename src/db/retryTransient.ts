import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../errors/AppError.ts';
import { isTransient } from '../errors/transient.ts';

/**
 * Runs `work` (a whole database transaction) again when it failed for a transient database cause — a deadlock, a
 * serialization failure, too many connections, a connection lost — up to `attempts` times with a short backoff.
 * `work` must be safe to repeat: a transaction that failed left nothing behind. Our own AppErrors are never retried.
 */
export async function retryTransient<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || error instanceof AppError || !isTransient(error)) throw error;
      await sleep(100 * 3 ** (attempt - 1));
    }
  }
}

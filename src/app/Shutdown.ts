/**
 * The process is stopping (SIGTERM/SIGINT): new uploads are refused with SHUTTING_DOWN, /readyz answers 503, and
 * running ingestion attempts are handed back (their job is retried, by this process's successor or another worker).
 */
export class Shutdown {
  readonly #controller = new AbortController();

  get started(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Aborted when the shutdown begins. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  begin(): void {
    this.#controller.abort(new ShuttingDown());
  }
}

/** The reason of the shutdown signal: work stopped by it is handed back, not failed. */
export class ShuttingDown extends Error {
  override name = 'ShuttingDown';
  constructor() {
    super('the process is shutting down; the task is handed back to be resumed');
  }
}

import { Worker } from 'node:worker_threads';
import type { DropRequest, PushReply, PushRequest, ThreadReply } from './threadMessages.ts';

interface Waiting {
  resolve: (reply: PushReply) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  waiting: Map<number, Waiting>;
}

/**
 * A fixed pool of validation threads (worker_threads running validationThread.ts), shared by every file the process
 * validates. Requests to one thread are answered in order. A thread that dies fails its waiting requests and is
 * replaced. Threads hold the process open only while a request waits.
 */
export class ValidationThreads {
  readonly #threads: Thread[] = [];
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.#threads.push(this.#spawn());
  }

  /** close() was called (requests still waiting then fail). */
  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#threads.length;
  }

  push(thread: number, request: Omit<PushRequest, 'type' | 'id'>): Promise<PushReply> {
    if (this.#closed) return Promise.reject(new Error('the validation threads are closed'));
    const target = this.#threads[thread] as Thread;
    const id = this.#nextId++;
    return new Promise<PushReply>((resolve, reject) => {
      target.waiting.set(id, { resolve, reject });
      target.worker.ref();
      target.worker.postMessage({ type: 'push', id, ...request } satisfies PushRequest);
    });
  }

  drop(thread: number, request: Omit<DropRequest, 'type'>): void {
    if (this.#closed) return;
    (this.#threads[thread] as Thread).worker.postMessage({ type: 'drop', ...request } satisfies DropRequest);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }

  #spawn(): Thread {
    const worker = new Worker(new URL('./validationThread.ts', import.meta.url));
    worker.unref();
    const thread: Thread = { worker, waiting: new Map() };
    worker.on('message', (reply: ThreadReply) => {
      const waiting = thread.waiting.get(reply.id);
      if (!waiting) return;
      thread.waiting.delete(reply.id);
      if (thread.waiting.size === 0) worker.unref();
      if ('error' in reply) waiting.reject(new Error(`validation thread: ${reply.error}`));
      else waiting.resolve(reply);
    });
    let dead = false;
    const fail = (error: Error) => {
      if (dead) return;
      dead = true;
      for (const waiting of thread.waiting.values()) waiting.reject(error);
      thread.waiting.clear();
      if (this.#closed) return;
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads[index] = this.#spawn();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a validation thread exited with code ${code}`)));
    return thread;
  }
}

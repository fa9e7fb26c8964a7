import { type Client, createClient } from 'graphql-ws';
import { useEffect, useState } from 'react';
import { ApiError, gql, TASK_FIELDS, TASK_QUERY, type Task, TERMINAL } from './api.ts';

/** The socket authenticates from the session cookie sent with its upgrade, so a new session needs a new client. */
let client: Client | undefined;

/** Closes the socket of the previous session (after signing in or out); the next subscription opens a new one. */
export function resetLiveClient(): void {
  const previous = client;
  client = undefined;
  void previous?.dispose();
}

function wsClient(): Client {
  client ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    lazy: true,
    retryAttempts: 2,
    keepAlive: 15_000,
  });
  return client;
}

const POLL_MS = 1000;

export type Channel = 'connecting' | 'live' | 'polling' | 'done';

/**
 * A task kept up to date: the `ingestionTaskUpdated` subscription over WebSocket while it runs, falling back to
 * polling `ingestionTask` every second when the socket fails. Stops once the task is terminal.
 */
export function useLiveTask(taskId: string, initial?: Task) {
  const [task, setTask] = useState<Task | undefined>(initial);
  const [error, setError] = useState<ApiError | undefined>();
  const [channel, setChannel] = useState<Channel>('connecting');

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unsubscribe: (() => void) | undefined;
    const accept = (next: Task) => {
      if (stopped) return;
      setTask((previous) =>
        previous && previous.updatedAt > next.updatedAt && !TERMINAL.has(next.status) ? previous : next,
      );
      setError(undefined);
      if (TERMINAL.has(next.status)) {
        setChannel('done');
        stop();
      }
    };
    const stop = () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe?.();
    };
    const poll = async () => {
      if (stopped) return;
      setChannel('polling');
      try {
        const data = await gql<{ ingestionTask: Task | null }>(TASK_QUERY, { id: taskId });
        if (!data.ingestionTask) {
          setError(new ApiError('TASK_NOT_FOUND', 'No ingestion task has this id.'));
          stop();
          return;
        }
        accept(data.ingestionTask);
      } catch (caught) {
        if (!stopped) setError(caught instanceof ApiError ? caught : new ApiError('NETWORK_ERROR', String(caught)));
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    if (typeof WebSocket === 'undefined') {
      void poll();
    } else {
      unsubscribe = wsClient().subscribe<{ ingestionTaskUpdated: Task }>(
        {
          query: `subscription Live($id: ID!) { ingestionTaskUpdated(taskId: $id) { ${TASK_FIELDS} } }`,
          variables: { id: taskId },
        },
        {
          next: (message) => {
            if (stopped) return;
            const update = message.data?.ingestionTaskUpdated;
            if (update) {
              setChannel('live');
              accept(update);
            }
          },
          error: () => {
            unsubscribe = undefined;
            if (!stopped) void poll();
          },
          complete: () => {
            unsubscribe = undefined;
            // The server completes the stream at a terminal state; make sure we hold that last state.
            if (!stopped) void poll();
          },
        },
      );
    }
    return () => {
      stop();
    };
  }, [taskId]);

  return { task, error, channel, setTask };
}

/** Re-renders every `ms` while `active`, for clocks that run (time in the current state). */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return active ? now : Date.now();
}

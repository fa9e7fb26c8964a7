import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { type ApiError, asApiError, gql } from './api.ts';
import { formatTime } from './format.ts';
import { ProblemMessage } from './ProblemMessage.tsx';
import { SecretOnce } from './SecretOnce.tsx';
import { ROLES, type Role, usePrincipal } from './session.ts';

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  workspace: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const KEY_FIELDS = 'id name role workspace createdAt lastUsedAt revokedAt';
const KEYS = `{ apiKeys { ${KEY_FIELDS} } }`;
const CREATE_KEY = `mutation CreateKey($name: String!, $role: Role!) {
  createApiKey(name: $name, role: $role) { secret apiKey { ${KEY_FIELDS} } }
}`;
const REVOKE_KEY = `mutation RevokeKey($id: ID!) { revokeApiKey(id: $id) { ${KEY_FIELDS} } }`;
const CREATE_WORKSPACE = `mutation CreateWorkspace($name: String!) {
  createWorkspace(name: $name) { workspace { name createdAt } adminKey { secret apiKey { ${KEY_FIELDS} } } }
}`;

const ROLE_TEXT: Record<Role, string> = {
  VIEWER: 'Viewer: reads tasks and data',
  UPLOADER: 'Uploader: also uploads (append)',
  ADMIN: 'Admin: everything, keys, audit log',
};

/** The same rule as the server's: 1–32 lower-case letters, digits or "-", starting with a letter. */
const WORKSPACE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** The workspace's API keys (ADMIN): create one (its secret shown once), revoke one; a server admin also creates workspaces. */
export function ApiKeysPage() {
  const principal = usePrincipal();
  const [keys, setKeys] = useState<ApiKey[] | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: tick asks for a reload.
  useEffect(() => {
    const controller = new AbortController();
    gql<{ apiKeys: ApiKey[] }>(KEYS, {}, controller.signal)
      .then((data) => {
        setKeys(data.apiKeys);
        setError(undefined);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(asApiError(caught));
      });
    return () => controller.abort();
  }, [tick]);

  return (
    <section aria-labelledby="keys-heading">
      <h1 id="keys-heading">API keys</h1>
      <p className="muted">
        Keys of workspace <strong>{principal.workspace}</strong>. Programs send a key as{' '}
        <code>Authorization: Bearer trb_…</code>; people paste one on the sign-in page.
      </p>
      <CreateKey onCreated={reload} />
      <h2 id="key-list-heading">Keys</h2>
      {error ? <ProblemMessage problem={error} /> : null}
      {keys ? (
        <KeyTable keys={keys} ownKeyId={principal.keyId} onChanged={reload} />
      ) : error ? null : (
        <p className="muted">Loading the keys…</p>
      )}
      {principal.serverAdmin ? <CreateWorkspace /> : null}
    </section>
  );
}

function CreateKey({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('UPLOADER');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [created, setCreated] = useState<{ secret: string; apiKey: ApiKey } | undefined>();
  const nameRef = useRef<HTMLInputElement>(null);
  const ids = { name: useId(), role: useId(), hint: useId() };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setError(undefined);
    if (name.trim() === '') {
      setMessage('Enter a name: who or what will use the key, e.g. “nightly export”.');
      nameRef.current?.focus();
      return;
    }
    setMessage(undefined);
    setBusy(true);
    try {
      const data = await gql<{ createApiKey: { secret: string; apiKey: ApiKey } }>(CREATE_KEY, {
        name: name.trim(),
        role,
      });
      setCreated(data.createApiKey);
      setName('');
      onCreated();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="create-key-heading">
      <h2 id="create-key-heading">Create a key</h2>
      <form className="fields" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={ids.name}>Key name</label>
          <input
            ref={nameRef}
            id={ids.name}
            value={name}
            maxLength={100}
            autoComplete="off"
            aria-describedby={ids.hint}
            aria-invalid={message !== undefined}
            onChange={(event) => setName(event.target.value)}
          />
          <p id={ids.hint} className={message ? 'hint error' : 'hint'} aria-live="polite">
            {message ?? 'Who or what uses it, so you know which key to revoke later.'}
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.role}>Role</label>
          <select id={ids.role} value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_TEXT[r]}
              </option>
            ))}
          </select>
          <p className="hint">An uploader cancels only its own uploads; only an admin replaces days.</p>
        </div>
        <div className="field submit">
          <button type="submit" className="button primary" disabled={busy}>
            Create key
          </button>
        </div>
      </form>
      {error ? <ProblemMessage problem={error} /> : null}
      {created ? (
        <SecretOnce
          key={created.apiKey.id}
          title={`New key “${created.apiKey.name}” (${created.apiKey.role})`}
          secret={created.secret}
          onDone={() => setCreated(undefined)}
        />
      ) : null}
    </section>
  );
}

function KeyTable(props: { keys: ApiKey[]; ownKeyId: string | null; onChanged: () => void }) {
  const [confirming, setConfirming] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<ApiError | undefined>();

  const revoke = async (key: ApiKey) => {
    setBusy(key.id);
    setError(undefined);
    try {
      await gql<{ revokeApiKey: ApiKey }>(REVOKE_KEY, { id: key.id });
      setConfirming(undefined);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(undefined);
      props.onChanged();
    }
  };

  if (props.keys.length === 0) return <p className="muted">This workspace has no keys.</p>;
  return (
    <>
      {error ? <ProblemMessage problem={error} /> : null}
      <div className="table-scroll">
        <table className="keys-table stack">
          <caption className="visually-hidden">API keys, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.keys.map((key) => (
              <tr key={key.id} className={key.revokedAt ? 'revoked' : undefined}>
                <td data-label="Name">
                  <span className="key-name">{key.name}</span>
                  {key.id === props.ownKeyId ? <span className="muted small"> (this session’s key)</span> : null}
                  <div className="muted small">
                    <code>{key.id}</code>
                  </div>
                </td>
                <td data-label="Role">{key.role}</td>
                <td className="nowrap" data-label="Created">
                  {formatTime(key.createdAt)}
                </td>
                <td className="nowrap" data-label="Last used">
                  {key.lastUsedAt ? formatTime(key.lastUsedAt) : 'never'}
                </td>
                <td data-label="State">
                  {key.revokedAt ? (
                    <span className="status status-revoked">Revoked {formatTime(key.revokedAt)}</span>
                  ) : (
                    <span className="status status-active">Active</span>
                  )}
                </td>
                <td className="actions">
                  {key.revokedAt ? null : confirming === key.id ? (
                    <RevokeConfirm
                      keyName={key.name}
                      own={key.id === props.ownKeyId}
                      busy={busy === key.id}
                      onConfirm={() => revoke(key)}
                      onKeep={() => setConfirming(undefined)}
                    />
                  ) : (
                    <button
                      type="button"
                      className="button danger small"
                      aria-label={`Revoke ${key.name}`}
                      onClick={() => setConfirming(key.id)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** The confirm step before revoking: focus goes to "Keep it", so a second Enter does no harm. */
function RevokeConfirm(props: {
  keyName: string;
  own: boolean;
  busy: boolean;
  onConfirm: () => void;
  onKeep: () => void;
}) {
  const keepRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    keepRef.current?.focus();
  }, []);
  return (
    <div className="confirm">
      <p>
        Revoke “{props.keyName}”? Programs and sessions using it stop working at once.
        {props.own ? ' You are signed in with it: you will be signed out.' : ''}
      </p>
      <button
        type="button"
        className="button danger small"
        disabled={props.busy}
        onClick={props.onConfirm}
        aria-label={`Yes, revoke ${props.keyName}`}
      >
        {props.busy ? 'Revoking…' : 'Yes, revoke'}
      </button>{' '}
      <button ref={keepRef} type="button" className="button secondary small" onClick={props.onKeep}>
        Keep it
      </button>
    </div>
  );
}

/** Server admins only: a new workspace and its first ADMIN key, whose secret is shown once. */
function CreateWorkspace() {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [created, setCreated] = useState<{ name: string; secret: string } | undefined>();
  const ids = { name: useId(), hint: useId() };
  const problem = WORKSPACE_NAME.test(name)
    ? undefined
    : name === ''
      ? 'Enter a name for the workspace.'
      : '1–32 lower-case letters, digits or “-”, starting with a letter.';
  const showProblem = touched && problem !== undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    setError(undefined);
    if (problem || busy) {
      document.getElementById(ids.name)?.focus();
      return;
    }
    setBusy(true);
    try {
      const data = await gql<{
        createWorkspace: { workspace: { name: string }; adminKey: { secret: string } };
      }>(CREATE_WORKSPACE, { name });
      setCreated({ name: data.createWorkspace.workspace.name, secret: data.createWorkspace.adminKey.secret });
      setName('');
      setTouched(false);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="create-workspace-heading">
      <h2 id="create-workspace-heading">Create a workspace</h2>
      <p className="muted">
        As a server admin you may create workspaces. Each gets its own tasks, data sources, keys and audit log, and a
        first ADMIN key for whoever will run it.
      </p>
      <form className="fields one-field" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={ids.name}>Workspace name</label>
          <input
            id={ids.name}
            value={name}
            maxLength={32}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={ids.hint}
            aria-invalid={showProblem}
            onChange={(event) => setName(event.target.value)}
            onBlur={() => setTouched(name !== '')}
          />
          <p id={ids.hint} className={showProblem ? 'hint error' : 'hint'} aria-live="polite">
            {showProblem ? problem : '1–32 lower-case letters, digits or “-”, starting with a letter.'}
          </p>
        </div>
        <div className="field submit">
          <button type="submit" className="button primary" disabled={busy}>
            Create workspace
          </button>
        </div>
      </form>
      {error ? <ProblemMessage problem={error} /> : null}
      {created ? (
        <SecretOnce
          key={created.name}
          title={`Admin key of the new workspace “${created.name}”`}
          secret={created.secret}
          onDone={() => setCreated(undefined)}
        >
          <p>Give it to whoever runs {created.name}: they sign in with it and create the workspace’s other keys.</p>
        </SecretOnce>
      ) : null}
    </section>
  );
}

import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiKeysPage } from './ApiKeys.tsx';
import { AuditLogPage } from './AuditLog.tsx';
import { type ApiError, asApiError, setUnauthenticatedHandler } from './api.ts';
import { DataSourceView } from './DataSourceView.tsx';
import { resetLiveClient } from './live.ts';
import { ProblemMessage } from './ProblemMessage.tsx';
import { Link, navigate, useLocation } from './router.tsx';
import { SignIn } from './SignIn.tsx';
import {
  closeSession,
  fetchPrincipal,
  type Principal,
  PrincipalContext,
  type Role,
  roleAtLeast,
  signInHref,
} from './session.ts';
import { TasksList } from './TasksList.tsx';
import { TaskTracker } from './TaskTracker.tsx';
import { UploadPage } from './Uploader.tsx';

/**
 * The session around the pages: on load it asks who is signed in (`me`); any UNAUTHENTICATED answer, from any call,
 * leads to /sign-in (with `?next=` to come back). Pages render only once the principal is known, and offer only what
 * its role may do.
 */
export function App() {
  const { path, query } = useLocation();
  const [principal, setPrincipal] = useState<Principal | null>(null);
  const [checkError, setCheckError] = useState<ApiError | undefined>();
  const [signOutError, setSignOutError] = useState<ApiError | undefined>();
  const [attempt, setAttempt] = useState(0);
  const onSignInPage = path === '/sign-in';

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      resetLiveClient();
      setPrincipal(null);
      if (location.pathname !== '/sign-in') {
        navigate(signInHref(location.pathname + location.search + location.hash), { replace: true });
      }
    });
    return () => setUnauthenticatedHandler(undefined);
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt asks again after an error.
  useEffect(() => {
    if (onSignInPage || principal) return;
    const controller = new AbortController();
    setCheckError(undefined);
    fetchPrincipal(controller.signal)
      .then(setPrincipal)
      .catch((caught: unknown) => {
        const error = asApiError(caught);
        // UNAUTHENTICATED: the handler above has gone to the sign-in page already.
        if (!controller.signal.aborted && error.code !== 'UNAUTHENTICATED') setCheckError(error);
      });
    return () => controller.abort();
  }, [onSignInPage, principal, attempt]);

  const signedIn = useCallback((next: Principal, to: string) => {
    resetLiveClient();
    setSignOutError(undefined);
    setPrincipal(next);
    navigate(to, { replace: true });
  }, []);

  const signOut = async () => {
    setSignOutError(undefined);
    try {
      await closeSession();
    } catch (caught) {
      // Still signed in (the cookie is HttpOnly: only the server can end the session); say so.
      setSignOutError(asApiError(caught));
      return;
    }
    resetLiveClient();
    setPrincipal(null);
    navigate('/sign-in');
  };

  let page: ReactNode;
  if (onSignInPage) page = <SignIn principal={principal} onSignedIn={signedIn} />;
  else if (principal) page = <Page path={path} query={query} principal={principal} />;
  else if (checkError)
    page = (
      <section aria-labelledby="session-heading">
        <h1 id="session-heading">Could not check your session</h1>
        <ProblemMessage problem={checkError} />
        <button type="button" className="button primary" onClick={() => setAttempt((a) => a + 1)}>
          Try again
        </button>
      </section>
    );
  else page = <p className="muted">Checking your session…</p>;

  const section = /^\/(tasks|sources|admin\/keys|admin\/audit)/.exec(path)?.[1] ?? (path === '/' ? 'upload' : '');
  return (
    <PrincipalContext.Provider value={principal}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link href="/" className="brand">
          Tributary
        </Link>
        {principal ? (
          <nav aria-label="Main">
            {roleAtLeast(principal.role, 'UPLOADER') ? (
              <NavLink href="/" current={section === 'upload'}>
                Upload
              </NavLink>
            ) : null}
            <NavLink href="/tasks" current={section === 'tasks'}>
              Tasks
            </NavLink>
            <NavLink href="/sources" current={section === 'sources'}>
              Data sources
            </NavLink>
            {roleAtLeast(principal.role, 'ADMIN') ? (
              <>
                <NavLink href="/admin/keys" current={section === 'admin/keys'}>
                  API keys
                </NavLink>
                <NavLink href="/admin/audit" current={section === 'admin/audit'}>
                  Audit log
                </NavLink>
              </>
            ) : null}
          </nav>
        ) : null}
        {principal ? (
          <div className="session">
            <span className="visually-hidden">Signed in to workspace and role: </span>
            <span className="session-who" title={principal.serverAdmin ? 'Server admin' : undefined}>
              {principal.workspace} · {principal.role}
            </span>
            <button type="button" className="button on-dark small" onClick={signOut}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {signOutError ? <ProblemMessage problem={signOutError} /> : null}
        {page}
      </main>
    </PrincipalContext.Provider>
  );
}

function NavLink(props: { href: string; current: boolean; children: ReactNode }) {
  return (
    <Link href={props.href} aria-current={props.current ? 'page' : undefined}>
      {props.children}
    </Link>
  );
}

/** The page at this path, for a signed-in principal. */
function Page({ path, query, principal }: { path: string; query: URLSearchParams; principal: Principal }) {
  const taskMatch = /^\/tasks\/([^/]+)\/?$/.exec(path);
  const sourceMatch = /^\/sources\/?([^/]*)\/?$/.exec(path);
  if (path === '/') return <UploadPage />;
  if (path === '/tasks' || path === '/tasks/') return <TasksList key={query.toString()} query={query} />;
  if (taskMatch?.[1]) return <TaskPage key={taskMatch[1]} taskId={decodeURIComponent(taskMatch[1])} />;
  if (sourceMatch) return <DataSourceView name={decodeURIComponent(sourceMatch[1] ?? '')} />;
  if (path === '/admin' || path === '/admin/' || path === '/admin/keys') {
    return <NeedsRole principal={principal} needs="ADMIN" page={<ApiKeysPage />} title="API keys" />;
  }
  if (path === '/admin/audit') {
    return <NeedsRole principal={principal} needs="ADMIN" page={<AuditLogPage />} title="Audit log" />;
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/">Go to the start page</Link>.
      </p>
    </section>
  );
}

/** A page for a role and above; others (who are not offered its link) are told why they cannot see it. */
function NeedsRole(props: { principal: Principal; needs: Role; page: ReactNode; title: string }) {
  if (roleAtLeast(props.principal.role, props.needs)) return props.page;
  return (
    <section aria-labelledby="needs-role-heading">
      <h1 id="needs-role-heading">{props.title}</h1>
      <p className="notice" role="note">
        This page needs the role <strong>{props.needs}</strong>; your key is {props.principal.role} in workspace{' '}
        <strong>{props.principal.workspace}</strong>. <Link href="/tasks">Go to the tasks</Link>.
      </p>
    </section>
  );
}

function TaskPage({ taskId }: { taskId: string }) {
  return (
    <>
      <p className="breadcrumb">
        <Link href="/tasks">← All tasks</Link>
      </p>
      <TaskTracker taskId={taskId} withRejections />
    </>
  );
}

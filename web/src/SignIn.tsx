import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { type ApiError, asApiError } from './api.ts';
import { ProblemMessage } from './ProblemMessage.tsx';
import { useLocation } from './router.tsx';
import { openSession, type Principal, safeNext } from './session.ts';

/** The key of a sign-in link (`/sign-in#key=trb_…`, as the server logs at its first start), if the address has one. */
function keyInHash(): string | null {
  return new URLSearchParams(location.hash.slice(1)).get('key');
}

/** What a refused sign-in means for the person at the keyboard; other errors keep the server's words. */
function signInProblem(error: ApiError): { code: string; message: string; errorId?: string | undefined } {
  if (error.code === 'UNAUTHENTICATED') {
    return {
      code: error.code,
      message: `This API key was not accepted${error.detail ? ` (${error.detail})` : ''}. Check that you pasted all of it, or ask an admin of your workspace for a new key.`,
    };
  }
  return { code: error.code, message: error.message, errorId: error.errorId };
}

/**
 * Sign in with an API key: it opens a session (an HttpOnly cookie) and is not kept by the page. A sign-in link
 * signs in at once; its key leaves the address bar and the history first. Afterwards the app goes to `?next=`.
 */
export function SignIn(props: {
  principal: Principal | null;
  onSignedIn: (principal: Principal, next: string) => void;
}) {
  const { onSignedIn } = props;
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const [formMessage, setFormMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState<'form' | 'link' | undefined>();
  const inputRef = useRef<HTMLInputElement>(null);
  const ids = { key: useId(), hint: useId() };

  const signIn = useCallback(
    async (secret: string, via: 'form' | 'link') => {
      setBusy(via);
      setError(undefined);
      setFormMessage(undefined);
      try {
        const principal = await openSession(secret);
        onSignedIn(principal, safeNext(new URLSearchParams(location.search).get('next')));
      } catch (caught) {
        setError(asApiError(caught));
        setBusy(undefined);
        if (via === 'link') setApiKey(secret);
        inputRef.current?.focus();
      }
    },
    [onSignedIn],
  );

  useEffect(() => {
    const fromLink = () => {
      const secret = keyInHash();
      if (secret === null) return;
      // The key must not stay in the address bar, the history or a bookmark: drop it before anything else.
      history.replaceState(history.state, '', location.pathname + location.search);
      void signIn(secret, 'link');
    };
    fromLink();
    addEventListener('hashchange', fromLink);
    return () => removeEventListener('hashchange', fromLink);
  }, [signIn]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (apiKey.trim() === '') {
      setError(undefined);
      setFormMessage('Enter your API key: it starts with trb_.');
      inputRef.current?.focus();
      return;
    }
    void signIn(apiKey, 'form');
  };

  return (
    <section className="sign-in" aria-labelledby="sign-in-heading">
      <h1 id="sign-in-heading">Sign in</h1>
      {busy === 'link' ? (
        <p className="notice" role="status">
          Signing in with the key from the link…
        </p>
      ) : null}
      {props.principal ? (
        <p className="notice">
          You are signed in to <strong>{props.principal.workspace}</strong> as {props.principal.role}. Signing in with
          another key replaces this session.
        </p>
      ) : next !== '/' ? (
        <p className="muted">
          Sign in to open <code>{next}</code>.
        </p>
      ) : null}
      <form className="card sign-in-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={ids.key}>API key</label>
          <input
            ref={inputRef}
            id={ids.key}
            name="apiKey"
            type="password"
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="off"
            value={apiKey}
            aria-describedby={ids.hint}
            aria-invalid={formMessage !== undefined || error !== undefined}
            onChange={(event) => setApiKey(event.target.value)}
          />
          <p id={ids.hint} className="hint">
            Paste a key of your workspace (it starts with trb_). An admin creates keys on the API keys page; the key is
            sent once to open a session and is not stored in this browser.
          </p>
        </div>
        <button type="submit" className="button primary" disabled={busy !== undefined}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="form-message" role="alert">
          {formMessage}
        </p>
        {error ? <ProblemMessage problem={signInProblem(error)} /> : null}
      </form>
    </section>
  );
}

import { type ReactNode, useEffect, useId, useRef, useState } from 'react';

/**
 * A new secret, shown this once: the server keeps only a hash of it, and this page only in this component's state
 * (gone when it is dismissed or the page is left). Copy uses the clipboard, or selects the text where the browser
 * gives no clipboard access (plain http on another host).
 */
export function SecretOnce(props: { title: string; secret: string; children?: ReactNode; onDone: () => void }) {
  const [copy, setCopy] = useState<'copied' | 'selected' | undefined>();
  const valueRef = useRef<HTMLInputElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const ids = { heading: useId(), value: useId() };

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const onCopy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(props.secret);
      setCopy('copied');
    } catch {
      valueRef.current?.focus();
      valueRef.current?.select();
      setCopy('selected');
    }
  };

  return (
    <section className="secret-once" aria-labelledby={ids.heading}>
      <h3 id={ids.heading} ref={headingRef} tabIndex={-1}>
        {props.title}
      </h3>
      <p>
        <strong>Copy the secret now:</strong> it is shown this once and cannot be shown again.
      </p>
      {props.children}
      <label htmlFor={ids.value}>Secret</label>
      <div className="secret-row">
        <input
          ref={valueRef}
          id={ids.value}
          className="secret-value"
          readOnly
          value={props.secret}
          spellCheck={false}
          autoComplete="off"
          onFocus={(event) => event.target.select()}
        />
        <button type="button" className="button primary" onClick={onCopy}>
          Copy
        </button>
      </div>
      <p className="copy-state" role="status">
        {copy === 'copied'
          ? 'Copied to the clipboard.'
          : copy === 'selected'
            ? 'The browser did not allow copying: the secret is selected, press Ctrl+C (⌘C on a Mac).'
            : ''}
      </p>
      <button type="button" className="button secondary" onClick={props.onDone}>
        Done, hide the secret
      </button>
    </section>
  );
}

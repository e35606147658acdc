// Small building blocks shared by the views: loading and empty states,
// errors in words, and the form that asks for a reason before an action.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get, message } from './api';

export function Loading({ what }: { what: string }) {
  return (
    <div class="state loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {what}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="state empty">{children}</div>;
}

export function ErrorNote({ error, retry, what }: { error: unknown; retry?: () => void; what?: string }) {
  return (
    <div class="error" role="alert">
      <strong>{what ?? 'Something went wrong'}:</strong> {message(error)}
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export interface ReasonFormProps {
  title: string;
  /** what the text is called: "Reason", "Note" */
  field?: string;
  hint?: string;
  required?: boolean;
  submitLabel: string;
  danger?: boolean;
  onSubmit: (text: string) => Promise<void>;
  onCancel: () => void;
  /** fields of the action itself (a target, parts), shown above the reason */
  children?: ComponentChildren;
  /** check says what is wrong with those fields, in a sentence, before anything is sent */
  check?: () => string | undefined;
}

/**
 * ReasonForm asks for the reason of an action, then runs it. It keeps the
 * text and says why when the action is refused, so that nothing typed is
 * lost; Escape cancels.
 */
export function ReasonForm(p: ReasonFormProps) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const area = useRef<HTMLTextAreaElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const required = p.required ?? true;
  useEffect(() => formRef.current?.querySelector<HTMLElement>('input, select, textarea')?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const wrong = p.check?.();
    if (wrong) {
      setError(new Error(wrong));
      return;
    }
    if (required && !text.trim()) {
      setError(new Error(`${p.field ?? 'A reason'} is required: say why, in a sentence.`));
      area.current?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await p.onSubmit(text.trim());
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const id = `reason-${p.title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <form
      class="reason-form"
      ref={formRef}
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          p.onCancel();
        } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          void submit(e);
        }
      }}
    >
      <h3>{p.title}</h3>
      {p.children}
      <label for={id}>
        {p.field ?? 'Reason'}
        {required ? '' : ' (optional)'}
      </label>
      <textarea
        id={id}
        ref={area}
        rows={3}
        value={text}
        disabled={busy}
        onInput={(e) => {
          setText((e.target as HTMLTextAreaElement).value);
          setError(undefined);
        }}
      />
      {p.hint && <p class="hint">{p.hint}</p>}
      {error !== undefined && <ErrorNote error={error} what="Not done" />}
      <div class="buttons">
        <button type="submit" class={p.danger ? 'danger' : 'primary'} disabled={busy}>
          {busy ? 'Sending…' : p.submitLabel}
        </button>
        <button type="button" onClick={p.onCancel} disabled={busy}>
          Cancel
        </button>
        <span class="hint">Ctrl+Enter sends, Escape cancels</span>
      </div>
    </form>
  );
}

/** useNow is the time, refreshed every period milliseconds. */
export function useNow(period = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), period);
    return () => clearInterval(t);
  }, [period]);
  return now;
}

/** CheckOutcome is the result of a check done in the browser: a headline, and each step checked (ok undefined: said, not counted). */
export type CheckOutcome = { ok: boolean; headline: string; lines: { ok: boolean | undefined; text: string }[] };

/** CheckResult shows a CheckOutcome: its headline, then each step with ✓, ✗ or –. */
export function CheckResult({ outcome }: { outcome: CheckOutcome }) {
  return (
    <div class={outcome.ok ? 'done' : 'error'} role="status">
      <strong>{outcome.headline}</strong>
      {outcome.lines.length > 0 && (
        <ul class="checks">
          {outcome.lines.map((l) => (
            <li key={l.text} class={l.ok === undefined ? 'note' : l.ok ? 'ok' : 'bad'}>
              <span aria-hidden="true">{l.ok === undefined ? '–' : l.ok ? '✓' : '✗'}</span> {l.text}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * useRead reads path once shown, and again on reload. data stays what was
 * last read when a later read fails; error is that failure, until a read
 * succeeds.
 */
export function useRead<T>(path: string): { data: T | undefined; error: unknown; reload: () => Promise<void> } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const reload = useCallback(async () => {
    try {
      setData(await get<T>(path));
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload };
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from './api';
import { ErrorNote } from './components';
import type { SessionInfo } from './types';

export function Login({ notice, onSignedIn }: { notice?: string | undefined; onSignedIn: (s: SessionInfo) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const nameRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in · guarantor';
    nameRef.current?.focus();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim() || !password) {
      setError(new Error('Enter your name and your password.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const s = await request<SessionInfo>('POST', '/api/v1/session', { name: name.trim(), password }, { quiet401: true });
      onSignedIn(s);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">guarantor</h1>
        <p class="hint">Ceasefire monitoring and security guarantees</p>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <label for="login-name">Name</label>
        <input id="login-name" ref={nameRef} autocomplete="username" value={name} disabled={busy} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <label for="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autocomplete="current-password"
          value={password}
          disabled={busy}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
        {error !== undefined && <ErrorNote error={error} what="Not signed in" />}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

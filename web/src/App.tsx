// The shell: who is signed in, the navigation their roles allow, and the
// view of the current path. Signing in and out happen here.
import type { ComponentType } from 'preact';
import { useCallback, useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { adminSections } from './admin';
import { abortAll, ApiError, message, onSessionEnded, request, setCsrfToken } from './api';
import { CandidatePage } from './CandidateDetail';
import { ErrorNote, Loading } from './components';
import { Guarantees } from './Guarantees';
import { IncidentPage } from './IncidentDetail';
import { Login } from './Login';
import { Queue } from './Queue';
import { can, describeRoles } from './roles';
import { onLink, useRoute, type View } from './router';
import type { SessionInfo, User } from './types';

type Session = { kind: 'loading' } | { kind: 'failed'; error: unknown } | { kind: 'out'; notice?: string } | { kind: 'in'; user: User };

export function App() {
  const [session, setSession] = useState<Session>({ kind: 'loading' });
  const [crash, resetCrash] = useErrorBoundary();

  const load = useCallback(async () => {
    // A browser that never signed in here has no session to ask about: the
    // sign-in page, without a request bound to be refused.
    if (!mayBeSignedIn()) {
      setSession({ kind: 'out' });
      return;
    }
    setSession({ kind: 'loading' });
    try {
      const s = await request<SessionInfo>('GET', '/api/v1/session', undefined, { quiet401: true });
      setCsrfToken(s.csrf_token);
      setSession({ kind: 'in', user: s.user });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        rememberSignedIn(false);
        setSession({ kind: 'out' });
      } else setSession({ kind: 'failed', error: e });
    }
  }, []);

  useEffect(() => {
    onSessionEnded(() => {
      rememberSignedIn(false);
      setCsrfToken(undefined);
      setSession({ kind: 'out', notice: 'Your session has ended. Sign in again to go on.' });
    });
    void load();
  }, [load]);

  if (crash) {
    return (
      <div class="page-message">
        <h1>guarantor</h1>
        <ErrorNote error={crash} what="The interface met an error it could not handle" />
        <p>
          <button type="button" class="primary" onClick={() => resetCrash()}>
            Try again
          </button>{' '}
          or reload the page.
        </p>
      </div>
    );
  }
  switch (session.kind) {
    case 'loading':
      return (
        <div class="page-message">
          <Loading what="Checking your session…" />
        </div>
      );
    case 'failed':
      return (
        <div class="page-message">
          <h1>guarantor</h1>
          <ErrorNote error={session.error} what="Could not reach the server" retry={() => void load()} />
        </div>
      );
    case 'out':
      return (
        <Login
          notice={session.notice}
          onSignedIn={(s) => {
            rememberSignedIn(true);
            setCsrfToken(s.csrf_token);
            setSession({ kind: 'in', user: s.user });
          }}
        />
      );
    case 'in':
      return (
        <Shell
          user={session.user}
          onSignedOut={(notice) => {
            rememberSignedIn(false);
            setCsrfToken(undefined);
            setSession({ kind: 'out', notice });
          }}
        />
      );
  }
}

// Whether this browser signed in here and did not sign out. The session
// cookie itself is out of the page's reach (HttpOnly), as it should be.
const signedInKey = 'guarantor.signed-in';

function mayBeSignedIn(): boolean {
  try {
    return localStorage.getItem(signedInKey) === '1';
  } catch {
    return true; // no storage: ask the server
  }
}

function rememberSignedIn(yes: boolean): void {
  try {
    if (yes) localStorage.setItem(signedInKey, '1');
    else localStorage.removeItem(signedInKey);
  } catch {
    // no storage: the session is asked about each time
  }
}

const titles: Record<View, string> = {
  map: 'Map',
  queue: 'Queue',
  guarantees: 'Guarantees',
  commitments: 'Commitments',
  report: 'Daily report',
  incident: 'Incident',
  candidate: 'Candidate',
  admin: 'Administration',
};

/** The views in the navigation; an incident's or a candidate's page is reached from the others. */
const navViews: View[] = ['map', 'queue', 'guarantees', 'commitments', 'report', 'admin'];
const navOf: Partial<Record<View, View>> = { candidate: 'queue', incident: 'map' };

/** home is the first view of a user: what their role is for. */
function home(user: User): View {
  if (can(user, 'verify')) return 'queue';
  if (can(user, 'determine') || can(user, 'act_on_obligation')) return 'guarantees';
  return 'map';
}

function Shell({ user, onSignedOut }: { user: User; onSignedOut: (notice?: string) => void }) {
  const route = useRoute();
  const reader = can(user, 'read_records');
  const view: View = route.view ?? home(user);
  const active = navOf[view] ?? view;
  const [signOutError, setSignOutError] = useState<unknown>();

  useEffect(() => {
    // The pages of a record name it in their own titles.
    if (view !== 'incident' && view !== 'candidate') document.title = reader ? `${titles[view]} · guarantor` : 'guarantor';
  }, [view, reader]);

  // Signing out first closes the view (its streams and timers) and cancels
  // what it is still reading, so that nothing is asked of the server once
  // the session has ended.
  const [leaving, setLeaving] = useState(false);
  const signOut = async () => {
    setLeaving(true);
    setSignOutError(undefined);
    await new Promise((r) => setTimeout(r, 0)); // the view is gone
    abortAll();
    try {
      await request('DELETE', '/api/v1/session');
      onSignedOut('You are signed out.');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onSignedOut('You are signed out.');
      else {
        setLeaving(false);
        setSignOutError(e);
      }
    }
  };

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <header class="top">
        <span class="brand">guarantor</span>
        {reader && (
          <nav aria-label="Views">
            {navViews
              .filter((v) => v !== 'admin' || adminSections(user).nav)
              .map((v) => (
                <a key={v} href={`/${v}`} class={v === active ? 'active' : ''} aria-current={v === active ? 'page' : undefined} onClick={onLink(`/${v}`)}>
                  {titles[v]}
                </a>
              ))}
          </nav>
        )}
        <span class="who" title={`Clearance ${user.clearance}`}>
          {user.name} · {user.nation} · {describeRoles(user)}
        </span>
        <button type="button" class="quiet" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {signOutError !== undefined && <ErrorNote error={signOutError} what="Could not sign out" />}
      <main id="main" tabIndex={-1}>
        {leaving ? (
          <Loading what="Signing out…" />
        ) : !reader ? (
          <div class="page-message">
            <p>
              The account <strong>{user.name}</strong> ({describeRoles(user)}) may not read records, so there is nothing to show here. Machine clients use the API
              with a token; ask an administrator if you need to read.
            </p>
          </div>
        ) : view === 'map' ? (
          <LazyMap user={user} focus={route.params.get('incident') ?? undefined} />
        ) : view === 'queue' ? (
          <Queue user={user} />
        ) : view === 'guarantees' ? (
          <Guarantees user={user} />
        ) : view === 'commitments' ? (
          <Lazy key="commitments" load={loadCommitments} what="the commitments" user={user} />
        ) : view === 'report' ? (
          <Lazy key="report" load={loadReport} what="the daily report" user={user} />
        ) : view === 'admin' ? (
          <Lazy key="admin" load={loadAdmin} what="the administration" user={user} />
        ) : view === 'incident' ? (
          <IncidentPage id={route.params.get('id')} />
        ) : (
          <CandidatePage id={route.params.get('id')} user={user} />
        )}
      </main>
    </div>
  );
}

type Screen = ComponentType<{ user: User }>;
const loadCommitments = () => import('./Commitments').then((m): Screen => m.Commitments);
const loadReport = () => import('./Report').then((m): Screen => m.Report);
const loadAdmin = () => import('./Admin').then((m): Screen => m.Admin);
const screens = new Map<() => Promise<Screen>, Screen>();

/** Lazy loads a view's code when it is first shown, and keeps it. */
function Lazy({ load, what, user }: { load: () => Promise<Screen>; what: string; user: User }) {
  const [Comp, setComp] = useState<Screen | undefined>(() => screens.get(load));
  const [error, setError] = useState<unknown>();
  const run = useCallback(() => {
    setError(undefined);
    load()
      .then((c) => {
        screens.set(load, c);
        setComp(() => c);
      })
      .catch((e: unknown) => setError(new Error(`the code of ${what} could not be loaded (${message(e)})`)));
  }, [load, what]);
  useEffect(() => {
    if (!Comp) run();
  }, [Comp, run]);
  if (error !== undefined) return <ErrorNote error={error} what={`Cannot show ${what}`} retry={run} />;
  if (!Comp) return <Loading what={`Loading ${what}…`} />;
  return <Comp user={user} />;
}

/** LazyMap loads the map's code (MapLibre) only when the map is first shown. */
function LazyMap({ user, focus }: { user: User; focus: string | undefined }) {
  // A function given to useState is called as an initialiser: wrap the component.
  const [Comp, setComp] = useState<MapComponent | undefined>(() => mapModule);
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => {
    setError(undefined);
    import('./map/MapView')
      .then((m) => {
        mapModule = m.MapView;
        setComp(() => m.MapView);
      })
      .catch((e: unknown) => setError(new Error(`the map's code could not be loaded (${message(e)})`)));
  }, []);
  useEffect(() => {
    if (!Comp) load();
  }, [Comp, load]);
  if (error !== undefined) return <ErrorNote error={error} what="The map is not available" retry={load} />;
  if (!Comp) return <Loading what="Loading the map…" />;
  return <Comp user={user} focus={focus} />;
}
type MapComponent = ComponentType<{ user: User; focus: string | undefined }>;
let mapModule: MapComponent | undefined;

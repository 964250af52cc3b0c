// Parapet's webadmin: signs in to a Parapet server (this origin or another) and edits the
// HTTP security settings through the management API. Nothing here imports the server's code.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, normalizeServer, type ApiKey, type AuditEntry, type Change, type FieldError, type Finding } from './api';

interface Session {
  readonly server: string;
  readonly token: string;
  readonly user: string;
}

const STORAGE = 'parapet.session';

function loadSession(): Session | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORAGE) ?? 'null') as Session | null;
    return s && typeof s.server === 'string' && typeof s.token === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function Alert({ text }: { text: string | undefined }) {
  return text ? (
    <p class="alert" role="alert">
      {text}
    </p>
  ) : null;
}

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [server, setServer] = useState(window.location.origin);
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const url = normalizeServer(server);
      const data = await call<{ token: string }>(url, undefined, 'POST', '/api/auth/login', { username: user, password });
      onSignedIn({ server: url, token: data.token, user });
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Parapet admin</h1>
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h2 id="signin-title">Sign in</h2>
        <label for="server">Server URL</label>
        <input id="server" name="server" type="url" required value={server} onInput={(e) => setServer(e.currentTarget.value)} />
        <label for="user">User</label>
        <input id="user" name="user" autocomplete="username" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <Alert text={error} />
      </form>
    </main>
  );
}

type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>;

const SEVERITIES = ['high', 'medium', 'low', 'info'] as const;

function Dashboard({ api }: { api: Api }) {
  const [findings, setFindings] = useState<Finding[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<{ findings: Finding[] }>('GET', '/api/security-report').then(
      (d) => setFindings(d.findings),
      (err) => setError(message(err)),
    );
  }, []);
  return (
    <section aria-labelledby="dash-title">
      <h2 id="dash-title">Security report</h2>
      <Alert text={error} />
      {findings === undefined && !error ? <p>Loading…</p> : null}
      {findings?.length === 0 ? <p>No findings.</p> : null}
      {findings
        ? SEVERITIES.map((sev) => {
            const list = findings.filter((f) => f.severity === sev);
            if (list.length === 0) return null;
            return (
              <div class={`severity severity-${sev}`} key={sev}>
                <h3>
                  {sev[0]!.toUpperCase() + sev.slice(1)} ({list.length})
                </h3>
                <ul>
                  {list.map((f) => (
                    <li key={f.code + (f.key ?? '')}>
                      <code>{f.code}</code>
                      {f.key ? (
                        <>
                          {' '}
                          <code class="key">{f.key}</code>
                        </>
                      ) : null}
                      : {f.message}
                    </li>
                  ))}
                </ul>
              </div>
            );
          })
        : null}
    </section>
  );
}

/** Splits the API's validation errors among the form's fields by config key. */
function useFieldErrors(fields: Record<string, string>) {
  const [errors, setErrors] = useState<readonly FieldError[]>([]);
  const fieldOf = (e: FieldError): string | undefined => {
    if (!e.key) return undefined;
    for (const [field, key] of Object.entries(fields)) if (e.key === key || e.key.startsWith(`${key}.`)) return field;
    return undefined;
  };
  return {
    setErrors,
    forField: (field: string) => errors.filter((e) => fieldOf(e) === field),
    unmatched: errors.filter((e) => fieldOf(e) === undefined),
  };
}

/**
 * A settings form's state and its save: the change list goes to POST /api/settings; the
 * API's validation errors are shown beside their fields, anything else above the form.
 */
function useSettingsForm(api: Api, fields: Record<string, string>) {
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const fe = useFieldErrors(fields);
  const submit = async (changes: Change[]): Promise<void> => {
    setError(undefined);
    setSaved(false);
    fe.setErrors([]);
    try {
      await api('POST', '/api/settings', changes);
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError) fe.setErrors(err.errors);
      setError(message(err));
    }
  };
  return { error, setError, saved, fe, submit };
}

function FieldMessages({ id, errors }: { id: string; errors: readonly FieldError[] }) {
  if (errors.length === 0) return null;
  return (
    <ul class="field-errors" id={`${id}-error`}>
      {errors.map((e) => (
        <li key={e.code + e.message}>{e.message}</li>
      ))}
    </ul>
  );
}

const invalidProps = (id: string, errors: readonly FieldError[]) => (errors.length > 0 ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {});

function SaveStatus({ error, saved, unmatched }: { error: string | undefined; saved: boolean; unmatched: readonly FieldError[] }) {
  return (
    <>
      <Alert text={error} />
      {unmatched.length > 0 ? (
        <ul class="field-errors" role="alert">
          {unmatched.map((e) => (
            <li key={e.code + e.message}>
              {e.key ? <code>{e.key}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {saved ? (
        <p class="saved" role="status">
          Saved and applied.
        </p>
      ) : null}
    </>
  );
}

const bool = (v: string | undefined, fallback: boolean) => (v === undefined ? fallback : v.trim() === 'true');

const HSTS_KEYS = {
  enabled: 'http.hsts',
  maxAge: 'http.hsts-max-age',
  includeSubdomains: 'http.hsts-include-subdomains',
  preload: 'http.hsts-preload',
  redirect: 'http.hsts-redirect',
};

function HstsForm({ api, session }: { api: Api; session: Session }) {
  const [v, setV] = useState<{ enabled: boolean; maxAge: string; includeSubdomains: boolean; preload: boolean; redirect: boolean }>();
  const { error, setError, saved, fe, submit } = useSettingsForm(api, HSTS_KEYS);
  useEffect(() => {
    api<Record<string, string>>('GET', `/api/settings/keys?keys=${Object.values(HSTS_KEYS).join(',')}`).then(
      (d) =>
        setV({
          enabled: bool(d['http.hsts'], false),
          maxAge: d['http.hsts-max-age'] ?? '31536000',
          includeSubdomains: bool(d['http.hsts-include-subdomains'], true),
          preload: bool(d['http.hsts-preload'], false),
          redirect: bool(d['http.hsts-redirect'], true),
        }),
      (err) => setError(message(err)),
    );
  }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    if (!v) return;
    const changes: Change[] = [
      {
        type: 'insert',
        prefix: 'http',
        values: [
          ['hsts', String(v.enabled)],
          ['hsts-max-age', v.maxAge.trim()],
          ['hsts-include-subdomains', String(v.includeSubdomains)],
          ['hsts-preload', String(v.preload)],
          ['hsts-redirect', String(v.redirect)],
        ],
        assert_empty: false,
      },
    ];
    await submit(changes);
  };
  return (
    <section aria-labelledby="hsts-title">
      <h2 id="hsts-title">HSTS</h2>
      {!v ? <Alert text={error} /> : null}
      {v ? (
        <form onSubmit={save} noValidate>
          <Check id="hsts-enabled" label="Send Strict-Transport-Security (http.hsts)" checked={v.enabled} onChange={(c) => setV({ ...v, enabled: c })} errors={fe.forField('enabled')} />
          <label for="hsts-max-age">Max age (seconds or a duration such as 365d)</label>
          <input id="hsts-max-age" value={v.maxAge} onInput={(e) => setV({ ...v, maxAge: e.currentTarget.value })} {...invalidProps('hsts-max-age', fe.forField('maxAge'))} />
          <FieldMessages id="hsts-max-age" errors={fe.forField('maxAge')} />
          <Check id="hsts-include-subdomains" label="Include subdomains" checked={v.includeSubdomains} onChange={(c) => setV({ ...v, includeSubdomains: c })} errors={fe.forField('includeSubdomains')} />
          <Check id="hsts-preload" label="Preload" checked={v.preload} onChange={(c) => setV({ ...v, preload: c })} errors={fe.forField('preload')} />
          <Check id="hsts-redirect" label="Redirect plain HTTP to HTTPS" checked={v.redirect} onChange={(c) => setV({ ...v, redirect: c })} errors={fe.forField('redirect')} />
          {v.enabled && v.redirect && session.server.startsWith('http:') ? (
            <p class="hint">This admin talks to the server over plain HTTP: once saved, sign in again with the server's https:// URL.</p>
          ) : null}
          <button type="submit">Save HSTS settings</button>
          <SaveStatus error={error} saved={saved} unmatched={fe.unmatched} />
        </form>
      ) : null}
    </section>
  );
}

function Check({ id, label, checked, onChange, errors }: { id: string; label: string; checked: boolean; onChange: (c: boolean) => void; errors: readonly FieldError[] }) {
  return (
    <div class="check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} {...invalidProps(id, errors)} />
      <label for={id}>{label}</label>
      <FieldMessages id={id} errors={errors} />
    </div>
  );
}

type CorsMode = 'off' | 'permissive' | 'allowlist';
const CORS_KEYS = {
  mode: 'http.permissive-cors',
  origins: 'http.cors.allowed-origins',
  maxAge: 'http.cors.max-age',
  credentials: 'http.cors.allow-credentials',
};

function CorsForm({ api }: { api: Api }) {
  const [v, setV] = useState<{ mode: CorsMode; origins: string; maxAge: string; credentials: boolean }>();
  const { error, setError, saved, fe, submit } = useSettingsForm(api, CORS_KEYS);
  useEffect(() => {
    api<Record<string, string>>('GET', '/api/settings/keys?keys=http.permissive-cors,http.cors.allowed-origins&prefixes=http.cors').then(
      (d) => {
        const origins = Object.keys(d)
          .filter((k) => k === 'http.cors.allowed-origins' || /^http\.cors\.allowed-origins\.\d+$/.test(k))
          .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
          .map((k) => d[k]!);
        const mode: CorsMode = bool(d['http.permissive-cors'], false) ? 'permissive' : origins.length > 0 ? 'allowlist' : 'off';
        setV({ mode, origins: origins.join('\n'), maxAge: d['http.cors.max-age'] ?? '7200', credentials: bool(d['http.cors.allow-credentials'], false) });
      },
      (err) => setError(message(err)),
    );
  }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    if (!v) return;
    const origins = v.origins
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    const values: [string, string][] = [['permissive-cors', String(v.mode === 'permissive')]];
    if (v.mode === 'allowlist') origins.forEach((o, i) => values.push([`cors.allowed-origins.${String(i).padStart(4, '0')}`, o]));
    if (v.mode !== 'off') values.push(['cors.max-age', v.maxAge.trim()], ['cors.allow-credentials', String(v.credentials)]);
    const changes: Change[] = [{ type: 'clear', prefix: 'http.cors.allowed-origins' }, { type: 'insert', prefix: 'http', values, assert_empty: false }];
    if (v.mode === 'off') changes.splice(1, 0, { type: 'delete', keys: ['http.cors.max-age', 'http.cors.allow-credentials'] });
    await submit(changes);
  };
  return (
    <section aria-labelledby="cors-title">
      <h2 id="cors-title">CORS</h2>
      {!v ? <Alert text={error} /> : null}
      {v ? (
        <form onSubmit={save} noValidate>
          <fieldset {...invalidProps('cors-mode', fe.forField('mode'))}>
            <legend>Mode</legend>
            {(['off', 'permissive', 'allowlist'] as const).map((m) => (
              <div class="check" key={m}>
                <input id={`cors-mode-${m}`} type="radio" name="cors-mode" value={m} checked={v.mode === m} onChange={() => setV({ ...v, mode: m })} />
                <label for={`cors-mode-${m}`}>{m === 'off' ? 'Off (same origin only)' : m === 'permissive' ? 'Permissive (every origin, http.permissive-cors)' : 'Allowlist (http.cors.allowed-origins)'}</label>
              </div>
            ))}
            <FieldMessages id="cors-mode" errors={fe.forField('mode')} />
          </fieldset>
          <label for="cors-origins">Allowed origins, one per line</label>
          <textarea id="cors-origins" rows={4} value={v.origins} disabled={v.mode !== 'allowlist'} onInput={(e) => setV({ ...v, origins: e.currentTarget.value })} {...invalidProps('cors-origins', fe.forField('origins'))} />
          <FieldMessages id="cors-origins" errors={fe.forField('origins')} />
          <label for="cors-max-age">Preflight max age (seconds or a duration)</label>
          <input id="cors-max-age" value={v.maxAge} disabled={v.mode === 'off'} onInput={(e) => setV({ ...v, maxAge: e.currentTarget.value })} {...invalidProps('cors-max-age', fe.forField('maxAge'))} />
          <FieldMessages id="cors-max-age" errors={fe.forField('maxAge')} />
          <Check id="cors-credentials" label="Allow credentials" checked={v.credentials} onChange={(c) => setV({ ...v, credentials: c })} errors={fe.forField('credentials')} />
          <button type="submit">Save CORS settings</button>
          <SaveStatus error={error} saved={saved} unmatched={fe.unmatched} />
        </form>
      ) : null}
    </section>
  );
}

function ApiKeys({ api }: { api: Api }) {
  const [keys, setKeys] = useState<ApiKey[]>();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string }>();
  const [error, setError] = useState<string>();
  const refresh = () =>
    api<ApiKey[]>('GET', '/api/api-keys').then(
      (d) => setKeys(d),
      (err) => setError(message(err)),
    );
  useEffect(() => void refresh(), []);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const d = await api<{ id: string; name: string; key: string }>('POST', '/api/api-keys', { name: name.trim() || 'api key' });
      setCreated({ name: d.name, key: d.key });
      setName('');
      await refresh();
    } catch (err) {
      setError(message(err));
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!window.confirm(`Revoke the API key "${k.name}"?`)) return;
    setError(undefined);
    try {
      await api('DELETE', `/api/api-keys/${encodeURIComponent(k.id)}`);
      await refresh();
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <form onSubmit={create} class="inline">
        <label for="key-name">New key name</label>
        <input id="key-name" value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Create API key</button>
      </form>
      {created ? (
        <div class="once" role="status">
          <label for="new-key">Key “{created.name}” — copy it now, it is shown only once</label>
          <input id="new-key" readOnly value={created.key} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      ) : null}
      <Alert text={error} />
      {keys && keys.length === 0 ? <p>No API keys.</p> : null}
      {keys && keys.length > 0 ? (
        <table>
          <caption>Existing API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Account</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.id}</code>
                </td>
                <td>{k.account}</td>
                <td>{k.createdAt}</td>
                <td>{k.lastUsedAt ?? 'never'}</td>
                <td>
                  <button type="button" onClick={() => void revoke(k)} aria-label={`Revoke API key ${k.name}`}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Audit({ api }: { api: Api }) {
  const [page, setPage] = useState(1);
  const [data, setData] = useState<{ total: number; items: AuditEntry[] }>();
  const [error, setError] = useState<string>();
  const LIMIT = 25;
  useEffect(() => {
    api<{ total: number; items: AuditEntry[] }>('GET', `/api/audit?limit=${LIMIT}&page=${page}`).then(
      (d) => setData(d),
      (err) => setError(message(err)),
    );
  }, [page]);
  const pages = data ? Math.max(1, Math.ceil(data.total / LIMIT)) : 1;
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <Alert text={error} />
      {data && data.items.length === 0 ? <p>Nothing recorded yet.</p> : null}
      {data && data.items.length > 0 ? (
        <table>
          <caption>
            Changes, newest first (page {page} of {pages})
          </caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Keys</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((a) => (
              <tr key={a.id}>
                <td>{a.at}</td>
                <td>{a.actor}</td>
                <td>{a.action}</td>
                <td>{a.keys.join(', ')}</td>
                <td>{a.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div class="pager">
        <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
          Newer
        </button>
        <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>
          Older
        </button>
      </div>
    </section>
  );
}

const SCREENS = { dashboard: 'Dashboard', hsts: 'HSTS', cors: 'CORS', keys: 'API keys', audit: 'Audit log' } as const;
type Screen = keyof typeof SCREENS;

function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [screen, setScreen] = useState<Screen>('dashboard');
  if (!session) {
    return (
      <SignIn
        onSignedIn={(s) => {
          sessionStorage.setItem(STORAGE, JSON.stringify(s));
          setSession(s);
        }}
      />
    );
  }
  const signOut = () => {
    sessionStorage.removeItem(STORAGE);
    setSession(undefined);
  };
  const api: Api = async (method, path, body) => {
    try {
      return await call(session.server, session.token, method, path, body);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) signOut();
      throw err;
    }
  };
  return (
    <>
      <header>
        <h1>Parapet admin</h1>
        <p class="who">
          {session.user} @ <code>{session.server}</code>
        </p>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Sections">
        <ul>
          {(Object.keys(SCREENS) as Screen[]).map((k) => (
            <li key={k}>
              <button type="button" aria-current={screen === k ? 'page' : undefined} onClick={() => setScreen(k)}>
                {SCREENS[k]}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        {screen === 'dashboard' ? <Dashboard api={api} /> : null}
        {screen === 'hsts' ? <HstsForm api={api} session={session} /> : null}
        {screen === 'cors' ? <CorsForm api={api} /> : null}
        {screen === 'keys' ? <ApiKeys api={api} /> : null}
        {screen === 'audit' ? <Audit api={api} /> : null}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

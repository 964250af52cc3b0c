import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { AdminApi, type LiveConfig } from '../admin/api/index.js';
import { createAuthenticator } from '../admin/api/authenticate.js';
import { AuthFailureTracker, hashPassword, isPlaintextSecret, TokenIssuer } from '../admin/auth/index.js';
import { Store } from '../admin/store/index.js';
import { reloadWebAdmin } from '../admin/web/assets.js';
import { formatDiagnostic, type Diagnostic } from '../errors.js';
import { loadConfig, readSource, type LoadResult } from '../config/load.js';
import type { MacroEnvironment } from '../config/macros.js';
import { processMacroEnvironment } from '../config/macros.js';
import type { Settings } from '../config/settings.js';
import { compilePolicy } from '../policy/index.js';
import { MemoryRateCounter } from '../policy/ratelimit/index.js';
import { CertificateStore, ensureSelfSigned, type KeyPair } from './certificates.js';
import { RunningListener } from './listener.js';
import { transportOf, type DecisionState } from '../policy/decide.js';
import { parseHost } from '../net/host.js';
import { createLogger, type Logger } from './log.js';
import { createRequestHandler, createUpgradeHandler, type LiveState } from './pipeline.js';
import { FileWatcher } from './watch.js';
import { UpstreamPools } from '../routes/proxy/index.js';
import type { ProxyTarget } from '../config/routes.js';

export interface ServerOptions {
  /** Config file; undefined runs the embedded default. */
  readonly configPath?: string;
  readonly environment?: MacroEnvironment;
  /** A logger to use instead of JSON lines on stdout (tests). */
  readonly logger?: Logger;
  /**
   * Called once when the first start creates the admin account, with its generated password.
   * Default: printed on stderr, never in the log.
   */
  readonly onAdminCreated?: (user: string, password: string) => void;
}

export class ConfigError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(`invalid configuration:\n${diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n')}`);
  }
}

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
}

/** A running Parapet: its listeners, its live compiled policy, reload and shutdown. */
export class ParapetServer {
  private listeners: RunningListener[] = [];
  private certificates!: CertificateStore;
  private reloading: Promise<unknown> = Promise.resolve();
  private queuedReload: Promise<ReloadOutcome> | undefined;
  private stopping = false;
  private store!: Store;
  private live!: LiveConfig;
  private watchedFiles: readonly string[] = [];
  private authFailures: AuthFailureTracker | undefined;
  private readonly watcher = new FileWatcher((paths) => {
    this.log.info({ files: paths }, 'a file the configuration reads changed; reloading');
    void this.reload();
  });

  private constructor(
    private readonly options: ServerOptions,
    readonly log: Logger,
    private readonly state: LiveState,
  ) {}

  static async start(options: ServerOptions = {}): Promise<ParapetServer> {
    const fileOnly = load(options, new Map());
    if (!fileOnly.ok) throw new ConfigError(fileOnly.diagnostics);
    const log = options.logger ?? createLogger(fileOnly.settings.server.logLevel);
    const store = Store.open(resolve(fileOnly.settings.admin.storePath));
    const withStore = load(options, store.settings());
    if (!withStore.ok) {
      // Settings stored through the API no longer validate against this file: serve the file
      // alone rather than not at all, so the operator can still reach the API to fix them.
      log.error({ errors: withStore.diagnostics.filter((d) => d.severity === 'error') }, 'stored settings make the configuration invalid; serving the file alone');
    }
    const loaded = withStore.ok ? withStore : fileOnly;
    logDiagnostics(log, loaded.diagnostics);
    // The webadmin's files travel with the state to `decide`, which serves /admin/ from memory.
    const state: LiveState & DecisionState = {
      policy: compilePolicy(loaded.settings, loaded.flat),
      httpsPort: 443,
      ready: false,
      rateCounter: new MemoryRateCounter(),
      admin: undefined,
      upstreams: new UpstreamPools(),
      webadmin: reloadWebAdmin(),
      logRequests: log.isLevelEnabled('info'),
    };
    const server = new ParapetServer(options, log, state);
    server.store = store;
    server.live = { settings: loaded.settings, flat: loaded.flat, builtIn: loaded.builtIn, policy: server.state.policy };
    try {
      await server.ensureFirstAdmin(loaded.settings);
      server.state.admin = server.createAdminApi(loaded.settings);
      await server.apply(loaded.settings, loaded.flat, { failOnBindError: true });
      server.watchedFiles = loaded.files;
      server.watcher.watch(loaded.files);
    } catch (err) {
      await server.shutdown(0);
      throw err;
    }
    server.state.ready = true;
    for (const l of server.listeners) {
      log.info({ listener: l.settings.id, tls: l.settings.tls, urls: l.urls() }, `listening on ${l.urls().join(' ')}`);
    }
    return server;
  }

  /** Re-reads the config; an invalid one is logged and the running config keeps serving. */
  reload(): Promise<ReloadOutcome> {
    // A reload asked for while another waits to start is that one: it will read the files and
    // the store as they are when it starts, so a burst of SIGHUPs (or file events) costs one.
    if (this.queuedReload) return this.queuedReload;
    // Never rejects: SIGHUP and the file watcher call it without waiting, and an unexpected
    // failure (the store, the disk) must leave the running config serving, not end the process.
    const next = this.reloading
      .then(() => {
        this.queuedReload = undefined;
        return this.reloadNow();
      })
      .catch((err: unknown): ReloadOutcome => {
        this.log.error({ err }, 'reload failed; the running configuration stays');
        return { ok: false, diagnostics: [] };
      });
    this.reloading = next;
    this.queuedReload = next;
    return next;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    if (this.stopping) return { ok: false, diagnostics: [] };
    const loaded = load(this.options, this.store.settings());
    if (!loaded.ok) {
      // Keep watching what the new config names too: the next write may complete it
      // (a certificate renewed before its key, say).
      this.watcher.watch([...new Set([...this.watchedFiles, ...loaded.files])]);
      this.log.error({ errors: loaded.diagnostics.filter((d) => d.severity === 'error') }, 'reload refused: the new configuration is invalid; the running one stays');
      return { ok: false, diagnostics: loaded.diagnostics };
    }
    logDiagnostics(this.log, loaded.diagnostics);
    try {
      await this.apply(loaded.settings, loaded.flat, { failOnBindError: false });
    } catch (err) {
      this.log.error({ err }, 'reload failed; the running configuration stays');
      return { ok: false, diagnostics: loaded.diagnostics };
    }
    this.watchedFiles = loaded.files;
    this.watcher.watch(loaded.files);
    this.live = { settings: loaded.settings, flat: loaded.flat, builtIn: loaded.builtIn, policy: this.state.policy };
    this.authFailures?.configure(loaded.settings.admin.authBanRate, loaded.settings.admin.authBanMs);
    this.log.info('configuration reloaded');
    return { ok: true, diagnostics: loaded.diagnostics };
  }

  private async apply(settings: Settings, flat: ReadonlyMap<string, string>, opts: { failOnBindError: boolean }): Promise<void> {
    const needsSelfSigned = settings.certificates.length === 0 && settings.listeners.some((l) => l.tls);
    let selfSigned: KeyPair | undefined;
    if (needsSelfSigned) selfSigned = await ensureSelfSigned(resolve(settings.server.dataDir), settings.server.hostname);
    const certificates = settings.listeners.some((l) => l.tls) ? new CertificateStore(settings.certificates, selfSigned, this.certificates) : undefined;
    const policy = compilePolicy(settings, flat);
    const proxied = settings.http.routes.flatMap((r): ProxyTarget[] => (r.target.kind === 'proxy' ? [r.target] : []));
    await UpstreamPools.prepare(proxied);

    if (certificates) this.certificates = certificates;
    const kept: RunningListener[] = [];
    const toStart = settings.listeners.filter((l) => {
      const running = this.listeners.find((r) => !kept.includes(r) && r.matches(l));
      if (running) kept.push(running);
      return !running;
    });
    const retired = this.listeners.filter((r) => !kept.includes(r));
    // Free the addresses of retired listeners first: their replacements may bind the same ones.
    for (const r of retired) r.stopAccepting();
    const started: RunningListener[] = [];
    for (const l of toStart) {
      const context = { id: l.id, tls: l.tls };
      const running = new RunningListener(
        l,
        createRequestHandler(this.state, context, this.log),
        createUpgradeHandler(this.state, context, this.log),
        // No Origin is known here: CORS as for a request without one (`*` when permissive).
        // HSTS when the client named a host that takes it (over TLS, its SNI is that name).
        (host) => this.state.policy.responseHeaders(transportOf(l.tls, parseHost(host)), undefined),
        settings.http.limits,
        () => this.certificates,
        this.log,
      );
      try {
        await running.start();
        started.push(running);
      } catch (err) {
        await running.close(0);
        if (opts.failOnBindError) throw err;
        this.log.error({ err: (err as Error).message }, 'listener not started');
      }
    }
    // Swap everything the pipeline reads at once, then drain the listeners the config dropped.
    if (!this.options.logger) this.log.level = settings.server.logLevel;
    this.state.logRequests = this.log.isLevelEnabled('info');
    this.state.policy = policy;
    this.listeners = [...kept, ...started];
    for (const running of this.listeners) {
      running.applyLimits(settings.http.limits, settings.listeners.find((l) => running.matches(l))?.maxConnections);
      running.certificatesChanged();
    }
    this.state.httpsPort = this.httpsPort();
    this.state.upstreams.retain(proxied);
    if (this.state.ready) for (const s of started) this.log.info({ listener: s.settings.id, urls: s.urls() }, `listening on ${s.urls().join(' ')}`);
    await Promise.all(retired.map((r) => r.close(settings.server.shutdownTimeoutMs)));
  }

  /** The embedded default's first start: an admin with a generated password, shown once. */
  private async ensureFirstAdmin(settings: Settings): Promise<void> {
    if (settings.admin.fallbackAdmin || this.store.accounts.count() > 0) return;
    const password = randomBytes(18).toString('base64url');
    this.store.accounts.put({ name: 'admin', secretHash: await hashPassword(password), role: 'admin' });
    this.log.warn({ account: 'admin' }, 'created the admin account; its password is shown once, on stderr');
    if (this.options.onAdminCreated) this.options.onAdminCreated('admin', password);
    else process.stderr.write(`\nParapet created the administrator account.\n  user:     admin\n  password: ${password}\nIt is shown only now; store it in a password manager.\n\n`);
  }

  private createAdminApi(settings: Settings): AdminApi {
    const tokens = new TokenIssuer();
    const failures = new AuthFailureTracker(settings.admin.authBanRate, settings.admin.authBanMs);
    this.authFailures = failures;
    const authenticator = createAuthenticator(() => this.live.settings.admin, this.store, tokens, failures);
    return new AdminApi({
      store: this.store,
      authenticator,
      tokens,
      current: () => this.live,
      validate: (overlay) => load(this.options, overlay),
      reload: () => this.reload(),
      plaintextAdminSecret: () => {
        const secret = this.live.settings.admin.fallbackAdmin?.secret;
        return secret !== undefined && isPlaintextSecret(secret);
      },
    });
  }

  private httpsPort(): number {
    for (const l of this.listeners) if (l.settings.tls && l.bound[0]) return l.bound[0].port;
    return 443;
  }

  /** Bound listeners, in config order, with their actual ports (tests bind port 0). */
  listenerInfo(): { id: string; tls: boolean; urls: string[]; ports: number[] }[] {
    return this.listeners.map((l) => ({ id: l.settings.id, tls: l.settings.tls, urls: l.urls(), ports: l.bound.map((b) => b.port) }));
  }

  port(listenerId: string): number {
    const l = this.listeners.find((x) => x.settings.id === listenerId);
    if (!l || !l.bound[0]) throw new Error(`no bound listener ${listenerId}`);
    return l.bound[0].port;
  }

  /** Stops accepting, drains in-flight requests for at most the shutdown timeout, closes. */
  async shutdown(graceMs = this.state.policy.settings.server.shutdownTimeoutMs): Promise<void> {
    this.stopping = true;
    this.state.ready = false;
    this.watcher.close();
    (this.state.rateCounter as MemoryRateCounter).close();
    this.state.admin = undefined;
    await this.reloading;
    await Promise.all(this.listeners.map((l) => l.close(graceMs)));
    this.listeners = [];
    await this.state.upstreams.close(graceMs);
    this.store?.close();
  }
}

function load(options: ServerOptions, overlay: ReadonlyMap<string, string>): LoadResult {
  const source = readSource(options.configPath);
  if ('code' in source) return { ok: false, files: [], diagnostics: [source] };
  return loadConfig(source, options.environment ?? processMacroEnvironment, overlay);
}

function logDiagnostics(log: Logger, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const entry = { code: d.code, key: d.key };
    if (d.severity === 'error') log.error(entry, d.message);
    else if (d.severity === 'warning') log.warn(entry, d.message);
    else log.info(entry, d.message);
  }
}

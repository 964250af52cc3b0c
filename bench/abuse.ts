// `npm run bench:abuse`: the hardening tests' malformed, smuggling and slow-client cases, sent
// alike to Parapet and to nginx proxying to the same recording upstream, with one table of
// what each did: the status, whether the connection closed, whether the request pipelined
// behind reached the upstream. Writes bench/results/abuse.json; stops every child and removes
// its temporary folder at the end, on error, on Ctrl-C and when its time budget runs out.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CASES, sentinel, type AbuseCase, type RequestCase, type SlowCase } from './abuse-cases.js';
import { exchange, firstResponse, slowClient, type Exchange } from './abuse-client.js';
import { HEADERS_TIMEOUT_SECONDS, nginxAbuseConfig, parapetAbuseToml, startRecordingUpstream, type RecordingUpstream, type Seen } from './abuse-servers.js';
import { findNginx, nginxVersion } from './nginx.js';
import { freePorts } from './ports.js';
import { ChildProcesses, waitForPorts, type ManagedChild } from './processes.js';

const RESULTS_FILE = fileURLToPath(new URL('../../bench/results/abuse.json', import.meta.url));
const PARAPET_CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/** The whole run, start-up to clean-up; it takes about 40 s. */
const BUDGET_MS = 115_000;
const START_TIMEOUT_MS = 15_000;
/** A server that answered and then sent nothing for this long is keeping the connection open. */
const QUIET_MS = 1000;
const EXCHANGE_LIMIT_MS = 4000;
/** Slow clients give up after this; both servers are configured to cut them after 5 s. */
const SLOW_LIMIT_MS = 15_000;
const DRIP_EVERY_MS = 1000;
/** How far apart two cut times may be and still count as the same. */
const SAME_TIME_MS = 1500;

type ServerName = 'parapet' | 'nginx';

interface Target {
  readonly name: ServerName;
  /** Tags this server's paths: `p07`, `n07`. */
  readonly letter: string;
  readonly port: number;
  readonly child: ManagedChild;
  /** nginx's error log (info), read per case for its reason. */
  readonly errorLog?: string;
}

interface Outcome {
  readonly statuses: number[];
  readonly closed: boolean;
  readonly reset: boolean;
  /** ms from connecting to the close (or to giving up). */
  readonly ms: number;
  /** Whether the request pipelined behind reached the upstream; null for slow clients (none is sent). */
  readonly smuggled: boolean | null;
  /** Everything the upstream received for this case from this server, the sentinel aside. */
  readonly upstream: Seen[];
  /** Parapet's problem `detail`, or nginx's error-log lines for the case. */
  readonly reason: string[];
  /** The first 300 bytes of the answer, for the results file. */
  readonly answer: string;
}

interface CaseResult {
  readonly id: string;
  readonly name: string;
  readonly kind: AbuseCase['kind'];
  readonly control: boolean;
  readonly parapet: Outcome;
  readonly nginx: Outcome | null;
  /** The columns that differ between the two; empty when the same, null when nginx did not run. */
  readonly differs: string[] | null;
}

async function main(): Promise<number> {
  const started = Date.now();
  const children = new ChildProcesses(false);
  const workDir = mkdtempSync(join(tmpdir(), 'parapet-abuse-'));
  let upstream: RecordingUpstream | undefined;
  const cleanup = installCleanup(children, workDir, () => upstream?.close());
  const watchdog = setTimeout(() => void cleanup.abort(`time budget of ${BUDGET_MS / 1000} s exceeded`, 1), BUDGET_MS);
  watchdog.unref();
  try {
    upstream = await startRecordingUpstream();
    const nginxBin = findNginx();
    const [parapetPort, nginxPort] = await freePorts(2);
    const targets: Target[] = [await startParapet(children, workDir, parapetPort!, upstream.port)];
    if (nginxBin === undefined) log('note: nginx is not installed (apt-get install nginx): only Parapet is measured');
    else targets.push(await startNginx(children, workDir, nginxBin, nginxPort!, upstream.port));
    for (const t of targets) await checkProxying(t, upstream);
    log(`upstream 127.0.0.1:${upstream.port}; ${targets.map((t) => `${t.name} 127.0.0.1:${t.port}`).join(', ')}; headers timeout ${HEADERS_TIMEOUT_SECONDS} s on both`);

    const results: CaseResult[] = [];
    for (const c of CASES.filter((x): x is RequestCase => x.kind === 'request')) {
      const outcomes = new Map<ServerName, Outcome>();
      for (const t of targets) outcomes.set(t.name, await runRequestCase(c, t, upstream));
      results.push(result(c, outcomes));
    }
    const slow = CASES.filter((x): x is SlowCase => x.kind === 'slow');
    log(`slow clients: ${slow.length} × ${targets.length} connections at once, up to ${SLOW_LIMIT_MS / 1000} s`);
    results.push(...(await runSlowCases(slow, targets, upstream)));

    process.stdout.write(`\n${formatTable(results, nginxBin !== undefined)}\n`);
    const notes = summarize(results);
    process.stdout.write(`\n${notes.join('\n')}\n`);
    writeResults({
      generatedAt: new Date().toISOString(),
      environment: { node: process.version, nginx: nginxBin === undefined ? null : nginxVersion(nginxBin) },
      settings: {
        headersTimeoutSeconds: HEADERS_TIMEOUT_SECONDS,
        parapetConfig: readFileSync(join(workDir, 'parapet', 'config.toml'), 'utf8'),
        nginxConfig: nginxBin === undefined ? null : readFileSync(join(workDir, 'nginx', 'nginx.conf'), 'utf8'),
      },
      seconds: Math.round((Date.now() - started) / 100) / 10,
      cases: results,
      notes,
    });
    process.stdout.write(`\nresults written to ${RESULTS_FILE} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return 0;
  } finally {
    clearTimeout(watchdog);
    await cleanup.done();
  }
}

async function startParapet(children: ChildProcesses, workDir: string, port: number, upstreamPort: number): Promise<Target> {
  const dir = join(workDir, 'parapet');
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, parapetAbuseToml(port, upstreamPort, join(dir, 'data')));
  const child = children.spawn('parapet', process.execPath, [PARAPET_CLI, 'serve', '--config', configPath]);
  await waitForPorts(child, [port], START_TIMEOUT_MS);
  return { name: 'parapet', letter: 'p', port, child };
}

async function startNginx(children: ChildProcesses, workDir: string, bin: string, port: number, upstreamPort: number): Promise<Target> {
  const dir = join(workDir, 'nginx');
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, nginxAbuseConfig(dir, port, upstreamPort));
  // -e: messages before the config is read go to stderr (the compiled-in default is under /var/log).
  const child = children.spawn('nginx', bin, ['-p', dir, '-c', configPath, '-e', 'stderr']);
  await waitForPorts(child, [port], START_TIMEOUT_MS);
  return { name: 'nginx', letter: 'n', port, child, errorLog: join(dir, 'error.log') };
}

/** A well-formed request must get through to the upstream, or the cases would prove nothing. */
async function checkProxying(t: Target, upstream: RecordingUpstream): Promise<void> {
  upstream.take();
  const tag = `${t.letter}00`;
  const r = await exchange(t.port, sentinel(tag), { quietMs: QUIET_MS, limitMs: EXCHANGE_LIMIT_MS });
  const seen = upstream.take().map((s) => s.url);
  if (r.statuses[0] !== 200 || !seen.includes(`/${tag}/sentinel`)) {
    throw new Error(`${t.name} does not proxy a well-formed request to the upstream: got ${JSON.stringify(r.text.slice(0, 200))}, upstream saw ${JSON.stringify(seen)}`);
  }
}

async function runRequestCase(c: RequestCase, t: Target, upstream: RecordingUpstream): Promise<Outcome> {
  const tag = `${t.letter}${c.id}`;
  upstream.take(); // nothing should be left over; whatever is belongs to no case
  const logFrom = logSize(t);
  const r = await exchange(t.port, c.bytes(tag), { quietMs: QUIET_MS, limitMs: EXCHANGE_LIMIT_MS });
  // Anything the case let through was dispatched before the sentinel, sent once the case is over.
  const s = await exchange(t.port, sentinel(tag), { quietMs: QUIET_MS, limitMs: EXCHANGE_LIMIT_MS });
  await sleep(50);
  const seen = upstream.take();
  assertAlive(t);
  if (s.statuses[0] !== 200) throw new Error(`${t.name}: the sentinel after case ${c.id} got ${JSON.stringify(s.text.slice(0, 200))}`);
  const got = seen.filter((x) => x.url !== `/${tag}/sentinel`);
  return outcome(r, t, logFrom, got, got.some((x) => x.url.includes(`/${tag}/smuggled`)));
}

/** Every slow client against every server at once: each is cut (or not) on its own clock. */
async function runSlowCases(cases: readonly SlowCase[], targets: readonly Target[], upstream: RecordingUpstream): Promise<CaseResult[]> {
  upstream.take();
  const logFrom = new Map(targets.map((t) => [t.name, logSize(t)]));
  const runs = await Promise.all(
    cases.map(async (c) => {
      const outcomes = await Promise.all(targets.map((t) => slowClient(t.port, c.first(`${t.letter}${c.id}`), c.drip, DRIP_EVERY_MS, SLOW_LIMIT_MS)));
      return { c, outcomes };
    }),
  );
  await sleep(50);
  const seen = upstream.take();
  for (const t of targets) assertAlive(t);
  return runs.map(({ c, outcomes }) => {
    const byServer = new Map<ServerName, Outcome>();
    targets.forEach((t, i) => {
      const tag = `${t.letter}${c.id}`;
      // The error log is shared by both slow cases: keep the lines that name this one's request, or every line when it sent none.
      const o = outcome(outcomes[i]!, t, logFrom.get(t.name)!, seen.filter((x) => x.url.startsWith(`/${tag}/`)), null);
      const mine = c.first(tag) ? o.reason.filter((l) => l.includes(`/${tag}/`)) : o.reason.filter((l) => !/request: "/.test(l));
      byServer.set(t.name, { ...o, reason: t.name === 'nginx' ? mine : o.reason });
    });
    return result(c, byServer);
  });
}

function outcome(r: Exchange, t: Target, logFrom: number, upstreamGot: Seen[], smuggled: boolean | null): Outcome {
  return {
    statuses: r.statuses,
    closed: r.closed,
    reset: r.reset,
    ms: Math.round(r.ms),
    smuggled,
    upstream: upstreamGot,
    reason: t.name === 'nginx' ? nginxReasons(t, logFrom) : parapetReason(r.text),
    answer: r.text.slice(0, 300),
  };
}

function parapetReason(text: string): string[] {
  const { headers, body } = firstResponse(text);
  if (!headers.get('content-type')?.includes('problem+json')) return [];
  try {
    const problem = JSON.parse(body) as { detail?: unknown; title?: unknown };
    const why = problem.detail ?? problem.title;
    return typeof why === 'string' ? [why] : [];
  } catch {
    return [];
  }
}

function logSize(t: Target): number {
  if (t.errorLog === undefined) return 0;
  try {
    return statSync(t.errorLog).size;
  } catch {
    return 0;
  }
}

/** nginx's own words for the case, from its error log: `client sent invalid header line …` and the like. */
function nginxReasons(t: Target, from: number): string[] {
  if (t.errorLog === undefined) return [];
  let text = '';
  try {
    text = readFileSync(t.errorLog).subarray(from).toString('latin1');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !/closed keepalive connection/.test(l))
    .map((l) => l.replace(/^\S+ \S+ \[(\w+)\] \d+#\d+: (\*\d+ )?/, '[$1] ').replace(/, client: 127\.0\.0\.1, server: [^,]*/, '')
        // nginx quotes the offending line whole: a 17 KB header would fill the screen.
        .replace(/"([^"]{60})[^"]+"/g, '"$1..."'));
}

function assertAlive(t: Target): void {
  const p = t.child.process;
  if (p.exitCode !== null || p.signalCode !== null) throw new Error(`${t.name} died:\n${t.child.stderrTail() || '(no stderr)'}`);
}

function result(c: AbuseCase, outcomes: ReadonlyMap<ServerName, Outcome>): CaseResult {
  const parapet = outcomes.get('parapet')!;
  const nginx = outcomes.get('nginx') ?? null;
  return { id: c.id, name: c.name, kind: c.kind, control: c.kind === 'request' && c.control === true, parapet, nginx, differs: nginx === null ? null : differences(c, parapet, nginx) };
}

function differences(c: AbuseCase, p: Outcome, n: Outcome): string[] {
  const out: string[] = [];
  if (statusText(p) !== statusText(n)) out.push('status');
  if (p.closed !== n.closed) out.push('closed');
  else if (c.kind === 'slow' && p.closed && Math.abs(p.ms - n.ms) > SAME_TIME_MS) out.push('time');
  if (p.smuggled !== n.smuggled) out.push('SMUGGLED');
  return out;
}

const statusText = (o: Outcome): string => (o.statuses.length === 0 ? 'none' : o.statuses.join('+'));

function closedText(kind: AbuseCase['kind'], o: Outcome): string {
  if (kind === 'slow') return o.closed ? `after ${(o.ms / 1000).toFixed(1)} s` : `open ${SLOW_LIMIT_MS / 1000} s+`;
  if (!o.closed) return 'no';
  return o.reset ? 'yes (RST)' : 'yes';
}

const smuggledText = (o: Outcome): string => (o.smuggled === null ? 'n/a' : o.smuggled ? 'YES' : 'no');

function formatTable(results: readonly CaseResult[], withNginx: boolean): string {
  const cells = (o: Outcome | null, kind: AbuseCase['kind']): string[] => (o === null ? ['not run', '', ''] : [statusText(o), closedText(kind, o), smuggledText(o)]);
  const header = ['#', 'case', 'status', 'closed', 'smuggled', 'status', 'closed', 'smuggled', 'same?'];
  const rows = results.map((r) => [
    r.id,
    r.name,
    ...cells(r.parapet, r.kind),
    ...cells(r.nginx, r.kind),
    r.differs === null ? '—' : r.differs.length === 0 ? 'yes' : `NO: ${r.differs.join(', ')}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string =>
    [row.slice(0, 2), row.slice(2, 5), row.slice(5, 8), row.slice(8)]
      .map((group, g) => group.map((cell, j) => cell.padEnd(widths[[0, 2, 5, 8][g]! + j]!)).join('  '))
      .join(' | ')
      .trimEnd();
  const span = (from: number, to: number) => widths.slice(from, to).reduce((a, b) => a + b, 0) + 2 * (to - from - 1);
  const groups = ['', 'parapet', withNginx ? 'nginx' : 'nginx (not installed)', ''].map((g, i) => g.padEnd(span([0, 2, 5, 8][i]!, [2, 5, 8, 9][i]!)));
  const rule = widths.map((w) => '-'.repeat(w));
  return [groups.join(' | ').trimEnd(), line(header), line(rule), ...rows.map(line)].join('\n');
}

/** The differences in words: where Parapet is stricter or looser than nginx, and what reached the upstream. */
function summarize(results: readonly CaseResult[]): string[] {
  const notes: string[] = [
    'status: every status read, in order ("none": closed without an answer). closed: whether the server closed the connection',
    `(slow clients: when). smuggled: whether the request written behind it on the same connection reached the upstream.`,
  ];
  const verdict = (o: Outcome): 'served' | 'refused' | 'hung' => (o.statuses.length > 0 ? (o.statuses[0]! < 400 ? 'served' : 'refused') : o.closed ? 'refused' : 'hung');
  const label = (r: CaseResult) => `${r.id} ${r.name}`;
  const list = <R extends CaseResult>(title: string, rs: readonly R[], detail: (r: R) => string = () => '') => {
    if (rs.length > 0) notes.push('', `${title}:`, ...rs.map((r) => `  ${label(r)}${detail(r)}`));
  };
  const compared = results.filter((r): r is CaseResult & { nginx: Outcome } => r.nginx !== null && !r.control);
  const reasons = (r: CaseResult) => {
    const p = r.parapet.reason[0];
    const n = r.nginx?.reason[0];
    return `${p ? `\n      parapet: ${p}` : ''}${n ? `\n      nginx:   ${n}` : ''}`;
  };
  list('Parapet refuses (4xx), nginx serves', compared.filter((r) => verdict(r.parapet) === 'refused' && verdict(r.nginx) === 'served'), reasons);
  list('nginx refuses (4xx), Parapet serves', compared.filter((r) => verdict(r.nginx) === 'refused' && verdict(r.parapet) === 'served'), reasons);
  list(
    'both refuse, with different statuses',
    compared.filter((r) => r.kind === 'request' && verdict(r.parapet) === 'refused' && verdict(r.nginx) === 'refused' && statusText(r.parapet) !== statusText(r.nginx)),
    (r) => ` (parapet ${statusText(r.parapet)}, nginx ${statusText(r.nginx)})${reasons(r)}`,
  );
  list('the pipelined request reached the upstream through nginx only', compared.filter((r) => r.nginx.smuggled === true && r.parapet.smuggled === false));
  list('the pipelined request reached the upstream through Parapet only', compared.filter((r) => r.parapet.smuggled === true && r.nginx.smuggled === false));
  list('slow clients', results.filter((r) => r.kind === 'slow'), (r) =>
    [['parapet', r.parapet] as const, ...(r.nginx ? [['nginx', r.nginx] as const] : [])]
      .map(([n, o]) => `\n      ${n.padEnd(8)} ${o.closed ? `cut after ${(o.ms / 1000).toFixed(1)} s` : 'not cut'}, ${o.statuses.length ? `answered ${statusText(o)}` : 'no answer'}${o.reason[0] ? ` — ${o.reason[0]}` : ''}`)
      .join(''),
  );
  const forwarded = results.filter((r) => r.kind === 'request' && [r.parapet, r.nginx].some((o) => o !== null && o.upstream.length > 0));
  list('what reached the upstream (method url, Host as the proxy sent it)', forwarded, (r) =>
    [['parapet', r.parapet] as const, ...(r.nginx ? [['nginx', r.nginx] as const] : [])]
      .filter(([, o]) => o.upstream.length > 0)
      .map(([n, o]) => `\n      ${n.padEnd(8)} ${o.upstream.map((s) => `${s.method} ${s.url.length > 40 ? `${s.url.slice(0, 37)}...` : s.url} (${s.host ?? 'no Host'})`).join(', ')}`)
      .join(''),
  );
  const blind = results.filter((r) => r.control && [r.parapet, r.nginx].some((o) => o !== null && o.smuggled !== true));
  if (blind.length > 0) notes.push('', `WARNING: the control's pipelined request was not seen upstream (${blind.map(label).join('; ')}): the smuggled column cannot be trusted`);
  return notes;
}

interface Cleanup {
  /** Stops the children and the upstream and removes the temporary folder; safe to call more than once. */
  done(): Promise<void>;
  abort(reason: string, exitCode: number): Promise<void>;
}

function installCleanup(children: ChildProcesses, workDir: string, closeUpstream: () => Promise<void> | undefined): Cleanup {
  let finished: Promise<void> | undefined;
  const removeDir = () => rmSync(workDir, { recursive: true, force: true });
  const done = () => (finished ??= Promise.all([children.stopAll(), closeUpstream()]).then(removeDir));
  const abort = async (reason: string, exitCode: number) => {
    process.stderr.write(`\nbench:abuse: ${reason}; stopping parapet and nginx\n`);
    await done();
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void abort('interrupted', 130));
  process.once('SIGTERM', () => void abort('terminated', 143));
  process.once('exit', () => {
    children.killAllNow();
    removeDir();
  });
  return { done, abort };
}

function writeResults(results: unknown): void {
  mkdirSync(join(RESULTS_FILE, '..'), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`\nbench:abuse failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

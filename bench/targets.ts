// Turns a probe into the concrete request: the URL on the server's port, the method and the
// headers, for the load generator and for the verifying request alike.
import { PREFLIGHT_REQUEST, REQUEST_PATHS, expectedResponse } from './contract.js';
import type { RunningServer } from './fleet.js';
import type { LoadSpec } from './load.js';
import { BENCH_HOST, type BenchCertificate } from './pki.js';
import type { Probe } from './plan.js';
import type { VerifyTarget } from './verify.js';

export interface ProbeRequest {
  readonly url: string;
  readonly method: string;
  /** Host is a name, not the IP literal in the URL: Parapet sends no HSTS to IP literals. */
  readonly headers: Readonly<Record<string, string>>;
}

export function probeRequest(probe: Probe, server: RunningServer): ProbeRequest {
  const scheme = probe.transport === 'tls' ? 'https' : 'http';
  const port = server.ports[probe.transport];
  if (port === undefined) throw new Error(`${server.definition.id} has no ${probe.transport} listener`);
  const url = `${scheme}://127.0.0.1:${port}${REQUEST_PATHS[probe.request]}`;
  const headers = probe.request === 'preflight' ? { Host: BENCH_HOST, ...PREFLIGHT_REQUEST } : { Host: BENCH_HOST };
  return { url, method: probe.request === 'preflight' ? 'OPTIONS' : 'GET', headers };
}

export function loadSpec(request: ProbeRequest, connections: number, durationSeconds: number): LoadSpec {
  return { ...request, connections, durationSeconds };
}

export function verifyTarget(probe: Probe, server: RunningServer, request: ProbeRequest, certificate: BenchCertificate): VerifyTarget {
  return {
    label: server.definition.id,
    ...request,
    ...(probe.transport === 'tls' ? { tls: { servername: BENCH_HOST, caPem: certificate.certPem } } : {}),
    expected: expectedResponse(probe.request, probe.transport === 'tls', server.definition.features),
  };
}

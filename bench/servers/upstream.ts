// The proxy scenario's upstream, and its yardstick when measured directly: node:http
// answering every method and path with one writeHead of precomputed headers (a marker
// header the verifier looks for after the proxy) and a small fixed body.
import http from 'node:http';
import { UPSTREAM_BODY, flatHeaders } from '../contract.js';
import { exitOnSignals, readLaunch, type PlainLaunch } from './launch.js';

const headers = flatHeaders('proxied', false, { hsts: false, permissiveCors: false });
const body = Buffer.from(UPSTREAM_BODY);

const launch = readLaunch<PlainLaunch>();
const server = http.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
// Idle pooled connections from the proxies outlive the pause between two measurements
// (node's default is 5 s): a proxy never races the upstream closing a connection it reuses.
server.keepAliveTimeout = 120_000;
server.listen(launch.plainPort, '127.0.0.1');
exitOnSignals(() => server.closeAllConnections());

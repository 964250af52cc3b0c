// fastify as its users put it in front of a service: @fastify/http-proxy (undici underneath)
// forwarding every path to the upstream, no logger.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { exitOnSignals, readLaunch, type PlainLaunch } from './launch.js';

const launch = readLaunch<PlainLaunch>();
if (launch.upstreamPort === undefined) throw new Error('fastify-proxy needs upstreamPort in its launch JSON');
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: `http://127.0.0.1:${launch.upstreamPort}` });
await app.listen({ host: '127.0.0.1', port: launch.plainPort });
exitOnSignals(() => app.close());

// fastify as its users write it: a route with a response schema, @fastify/cors for CORS and
// @fastify/helmet for the security headers, trimmed to the same headers Parapet sends.
import cors from '@fastify/cors';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { HEALTH_PATH, type Features } from '../contract.js';
import { exitOnSignals, readKeyPair, readLaunch, type ServerLaunch } from './launch.js';

function helmetOptions(tls: boolean, features: Features): FastifyHelmetOptions {
  return {
    global: true,
    strictTransportSecurity: tls && features.hsts ? { maxAge: 31_536_000, includeSubDomains: true, preload: false } : false,
    xContentTypeOptions: true,
    referrerPolicy: { policy: 'no-referrer' },
    contentSecurityPolicy: false,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xPoweredBy: false,
    xXssProtection: false,
  };
}

async function configure(app: FastifyInstance, tls: boolean, features: Features): Promise<void> {
  if (features.permissiveCors) await app.register(cors, { origin: '*' });
  await app.register(helmet, helmetOptions(tls, features));
  app.get(
    HEALTH_PATH,
    { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } } } },
    async () => ({ status: 'live' }),
  );
}

async function start(launch: ServerLaunch): Promise<FastifyInstance[]> {
  const plain = Fastify({ logger: false });
  // fastify types an HTTPS instance apart from an HTTP one; nothing used here differs.
  const secure = Fastify({ logger: false, https: readKeyPair(launch) }) as unknown as FastifyInstance;
  await configure(plain, false, launch.features);
  await configure(secure, true, launch.features);
  await plain.listen({ host: '127.0.0.1', port: launch.plainPort });
  await secure.listen({ host: '127.0.0.1', port: launch.tlsPort });
  return [plain, secure];
}

const apps = await start(readLaunch());
exitOnSignals(() => Promise.all(apps.map((a) => a.close())));

// Sends an exact number of requests over a few keep-alive connections, one request at a time
// on each, and checks every status: a window of counted instructions is then exactly that
// many requests' work.
import { Pool } from 'undici';
import type { ProbeRequest } from './targets.js';

export interface CountTarget extends ProbeRequest {
  readonly tls?: { readonly servername: string; readonly caPem: string };
  readonly status: number;
}

export async function sendRequests(target: CountTarget, total: number, connections: number): Promise<void> {
  const url = new URL(target.url);
  const pool = new Pool(url.origin, {
    connections,
    pipelining: 1,
    ...(target.tls ? { connect: { servername: target.tls.servername, ca: target.tls.caPem } } : {}),
  });
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      const res = await pool.request({ path: url.pathname, method: target.method as 'GET', headers: target.headers });
      await res.body.dump();
      if (res.statusCode !== target.status) throw new Error(`${target.method} ${target.url} answered ${res.statusCode}, expected ${target.status}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    await pool.close();
  }
}

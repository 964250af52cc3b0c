// A plain node:http server on loopback, port 0: each one is an origin of its own, for pages
// that call Parapet cross-origin in browser tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OriginServer {
  readonly origin: string;
  close(): Promise<void>;
}

export async function originServer(handler: http.RequestListener): Promise<OriginServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

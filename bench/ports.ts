import net from 'node:net';

/**
 * `count` distinct loopback ports that were free a moment ago. The servers run as child
 * processes whose bound ports we could not read back, so we choose them: all probes are held
 * open together (so no port is handed out twice), then released for the children to bind.
 * The short race with unrelated programs is acceptable on a benchmark machine.
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(Array.from({ length: count }, () => listenOnAnyPort()));
  const ports = probes.map((p) => (p.address() as net.AddressInfo).port);
  await Promise.all(probes.map((p) => new Promise<void>((resolve) => p.close(() => resolve()))));
  return ports;
}

function listenOnAnyPort(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0 }, () => resolve(probe));
  });
}

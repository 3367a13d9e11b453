import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder from `listen` (host, port 0 = any) to `target`: how the swarm lab's nodes, which reach this
 * machine only at the lab's host address, reach the PostgreSQL that listens on loopback. Test support only;
 * production nodes reach a database server of their own (docs/deploy.md).
 */
export async function startTcpForwarder(
  listen: { host: string; port?: number },
  target: { host: string; port: number },
): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  let total = 0;
  const server: Server = createServer((inbound) => {
    total++;
    const outbound = createConnection(target);
    for (const socket of [inbound, outbound]) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the forwarder has no TCP address');
  return {
    port: address.port,
    connections: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** What a stand-in upstream saw of a request. */
export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface StandIn {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/**
 * Stands in for an Odoo container's HTTP port (or the API): answers every request with JSON of
 * what it saw; static paths answer like Odoo (a cookie and a cache header).
 */
export async function startHttpStandIn(name: string): Promise<StandIn> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      if (/\/static\//.test(req.url ?? '')) {
        res.writeHead(200, {
          'content-type': 'application/javascript',
          'cache-control': 'public, max-age=604800',
          'set-cookie': 'session_id=should-not-be-cached; Path=/',
        });
        res.end(`// ${name} static ${'x'.repeat(2000)}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers }));
    });
  });
  server.keepAliveTimeout = 2_000;
  const port = await listen(server);
  return {
    port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Stands in for Odoo's gevent port: a websocket echo on any path, recording the upgrade request. */
export async function startWebsocketStandIn(): Promise<StandIn> {
  const seen: Seen[] = [];
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('gevent');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    socket.on('message', (data, isBinary) => socket.send(isBinary ? data : `echo:${data.toString()}`));
  });
  const port = await listen(server);
  return {
    port,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

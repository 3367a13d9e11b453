// The edge image's HEALTHCHECK: liveness of nginx, the part a restart can cure. Any HTTP answer on EDGE_PORT
// counts (an unknown host gets the platform's 404 page): it never depends on PostgreSQL, Redis or an
// instance being up. The syncer is PID 1: if it dies the container stops, and nginx is its child.
import http from 'node:http';

const TIMEOUT_MS = 3000;
const env = process.env;
const host = !env.EDGE_LISTEN_ADDRESS || env.EDGE_LISTEN_ADDRESS === '0.0.0.0' ? '127.0.0.1' : env.EDGE_LISTEN_ADDRESS;
const port = Number(env.EDGE_PORT || 8080);

const result = await new Promise((resolve) => {
  const request = http.get(
    { host, port, path: '/', headers: { host: 'edge-healthcheck.invalid' }, timeout: TIMEOUT_MS, agent: false },
    (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode < 500, detail: `nginx answered ${res.statusCode}` }));
    },
  );
  request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
  request.on('error', (err) => resolve({ ok: false, detail: `${host}:${port}: ${err.message}` }));
});
process.stdout.write(`edge: ${result.detail}\n`);
process.exitCode = result.ok ? 0 : 1;

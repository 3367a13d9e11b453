// The platform image's HEALTHCHECK: liveness of whichever process the container runs (the role after
// entrypoint.mjs on PID 1's command line, also under --init). A failing liveness check gets the container
// restarted, so it never depends on PostgreSQL or Redis: restarting cannot cure their outage
// (docs/reliability.md). `healthcheck.mjs ready` asks the API's readiness instead, for a deployment that
// gates on it; `healthcheck.mjs api|worker` names the role.
//   api     GET /api/v1/health on HOST:PORT
//   worker  GET /metrics on METRICS_HOST:WORKER_METRICS_PORT (needs a fixed port, not 0)
//   other   (migrate, cli) nothing to check
import { readFileSync } from 'node:fs';
import http from 'node:http';

const TIMEOUT_MS = 3000;

/** Where to connect for a listener bound to `host`: loopback for the wildcard addresses. */
const reachable = (host) => (!host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);

function runningRole() {
  try {
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    const at = args.findIndex((arg) => arg.endsWith('/entrypoint.mjs'));
    return at >= 0 ? (args[at + 1] ?? '') : '';
  } catch {
    return '';
  }
}

function get(host, port, path) {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path, timeout: TIMEOUT_MS, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, detail: `${path} answered ${res.statusCode}` }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', (err) => resolve({ ok: false, detail: `${host}:${port}${path}: ${err.message}` }));
  });
}

const env = process.env;
const role = process.argv[2] ?? runningRole();
let result;
switch (role) {
  case 'api':
    result = await get(reachable(env.HOST), Number(env.PORT || 3000), '/api/v1/health');
    break;
  case 'ready':
    result = await get(reachable(env.HOST), Number(env.PORT || 3000), '/api/v1/ready');
    break;
  case 'worker': {
    const port = Number(env.WORKER_METRICS_PORT || 9470);
    result =
      port === 0
        ? { ok: false, detail: 'WORKER_METRICS_PORT=0 (any free port) cannot be checked: give the worker a fixed port' }
        : await get(reachable(env.METRICS_HOST || '127.0.0.1'), port, '/metrics');
    break;
  }
  default:
    result = { ok: true, detail: `nothing to check for '${role}'` };
}
// Docker keeps this output in the container's health log (docker inspect).
process.stdout.write(`${role}: ${result.detail}\n`);
process.exitCode = result.ok ? 0 : 1;

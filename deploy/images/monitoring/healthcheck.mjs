// The monitoring image's HEALTHCHECK: the tool PID 1 launched (launcher.mjs) answers on its own listener:
// /-/ready for Prometheus and Alertmanager, /metrics for the exporters and mtail. The listener comes from the
// flags on PID 1's command line, as the launcher received them, or the tool's default.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const TIMEOUT_MS = 4000;
const PROBES = {
  prometheus: { port: 9090, path: '/-/ready' },
  alertmanager: { port: 9093, path: '/-/ready' },
  'node-exporter': { port: 9100, path: '/metrics' },
  'postgres-exporter': { port: 9187, path: '/metrics' },
  'redis-exporter': { port: 9121, path: '/metrics' },
  'nginx-exporter': { port: 9113, path: '/metrics' },
  mtail: { port: 3903, path: '/metrics' },
};

// node, launcher.mjs, tool, flags...
const [, , tool, ...args] = readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean);
const probe = PROBES[tool];
if (!probe) {
  process.stdout.write(`monitoring: nothing to probe for ${tool ?? 'no tool'}\n`);
  process.exit(0);
}
const flag = (name) => {
  const at = args.findLastIndex((arg) => arg === `--${name}` || arg === `-${name}` || /^--?([^=]+)=/.exec(arg)?.[1] === name);
  if (at < 0) return undefined;
  return args[at].includes('=') ? args[at].slice(args[at].indexOf('=') + 1) : args[at + 1];
};
let host = '127.0.0.1';
let port = probe.port;
if (tool === 'mtail') {
  port = Number(flag('port') ?? port);
  host = flag('address') || host;
} else {
  const listen = flag('web.listen-address');
  if (listen) {
    const at = listen.lastIndexOf(':');
    host = listen.slice(0, at).replace(/^\[|\]$/g, '') || host;
    port = Number(listen.slice(at + 1));
  }
}
if (host === '0.0.0.0' || host === '::') host = '127.0.0.1';

const result = await new Promise((resolve) => {
  const request = http.get({ host, port, path: probe.path, timeout: TIMEOUT_MS, agent: false }, (res) => {
    res.resume();
    res.on('end', () => resolve({ ok: res.statusCode === 200, detail: `${tool} answered ${res.statusCode} on ${probe.path}` }));
  });
  request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
  request.on('error', (err) => resolve({ ok: false, detail: `${tool} at ${host}:${port}: ${err.message}` }));
});
process.stdout.write(`monitoring: ${result.detail}\n`);
process.exitCode = result.ok ? 0 : 1;

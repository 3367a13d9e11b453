// The monitoring image's entry point: `docker run <image> <tool> [flags...]` runs one of the tools below with the
// defaults of the stack (deploy/stack.monitoring.yaml) for flags not given. A Node script, not a shell script: the
// offline base has no shell. It stays PID 1, passes signals on and exits with the tool's status.
// NAME_FILE variables (DATA_SOURCE_NAME_FILE, REDIS_ADDR_FILE, REDIS_PASSWORD_FILE) are read into NAME, so that a
// Docker secret holds the connection URL and no password sits in the service's environment.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

// Tool -> the flags it gets unless given (the listen addresses are the Debian packages' and upstream's defaults).
const TOOLS = {
  prometheus: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--web.listen-address=:9090'],
  alertmanager: [
    '--config.file=/etc/alertmanager/alertmanager.yml',
    '--storage.path=/alertmanager',
    '--web.listen-address=:9093',
    // No gossip port: one Alertmanager per stack.
    '--cluster.listen-address=',
  ],
  'node-exporter': ['--web.listen-address=:9100'],
  'postgres-exporter': ['--web.listen-address=:9187'],
  'redis-exporter': ['--web.listen-address=:9121'],
  'nginx-exporter': ['--web.listen-address=:9113'],
  mtail: ['--port=3903'],
  promtool: [],
};
const SECRET_VARIABLES = ['DATA_SOURCE_NAME', 'REDIS_ADDR', 'REDIS_PASSWORD'];

const [tool, ...args] = process.argv.slice(2);
if (!tool || !Object.hasOwn(TOOLS, tool)) {
  process.stderr.write(`usage: docker run <image> <${Object.keys(TOOLS).join('|')}> [flags...]\n`);
  process.exit(2);
}
const flagName = (arg) => arg.replace(/^--?/, '').split('=')[0];
const given = new Set(args.filter((arg) => arg.startsWith('-')).map(flagName));
const defaults = TOOLS[tool].filter((flag) => !given.has(flagName(flag)));

// The platform's database URL means what node-postgres makes of it: no sslmode, no TLS. The exporter's driver
// (lib/pq) would require TLS then, so the URL says so.
const asLibpq = (url) => {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  const parsed = new URL(url);
  if (!parsed.searchParams.has('sslmode')) parsed.searchParams.set('sslmode', 'disable');
  return parsed.toString();
};

const env = { ...process.env };
for (const name of SECRET_VARIABLES) {
  const file = env[`${name}_FILE`];
  if (!file) continue;
  try {
    const value = readFileSync(file, 'utf8').trim();
    env[name] = name === 'DATA_SOURCE_NAME' ? asLibpq(value) : value;
  } catch (err) {
    process.stderr.write(`${name}_FILE: cannot read ${file}: ${err.code ?? err.message}\n`);
    process.exit(2);
  }
  delete env[`${name}_FILE`];
}

const child = spawn(`/usr/local/bin/${tool}`, [...defaults, ...args], { stdio: 'inherit', env });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  process.stderr.write(`${tool}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + ({ SIGTERM: 15, SIGINT: 2, SIGKILL: 9 }[signal] ?? 1)));

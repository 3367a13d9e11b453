// The platform image's entry point: one image, one command per role (`docker run <image> api|worker|migrate`).
// A Node script, not a shell script: the offline base has no shell.
import { fileURLToPath } from 'node:url';

const dist = (file) => fileURLToPath(new URL(`../apps/server/dist/${file}`, import.meta.url));

const USAGE = `usage: docker run <image> <command>
  api              the HTTP API on HOST:PORT (0.0.0.0:3000); liveness /api/v1/health, readiness /api/v1/ready
  worker           the job worker; its metrics listener on METRICS_HOST:WORKER_METRICS_PORT (9470)
  migrate          apply the database migrations and exit (a one-shot step before a rollout)
  cli <command>    a command of the server's cli.js: ensure-admin, openapi, edge-render, edge-cert,
                   monitoring-config --out <dir>, backup-decrypt <in> <out>
  help             this text
`;

/** Runs cli.js as if started as `node cli.js ...args` (it reads process.argv). */
async function cli(args) {
  const path = dist('cli.js');
  process.argv.splice(1, process.argv.length - 1, path, ...args);
  await import(path);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'api':
    await import(dist('main-api.js'));
    break;
  case 'worker':
    await import(dist('main-worker.js'));
    break;
  case 'migrate':
    await cli(['migrate', ...rest]);
    break;
  case 'cli':
    await cli(rest);
    break;
  case 'help':
  case '--help':
    process.stdout.write(USAGE);
    break;
  default:
    process.stderr.write(`${command === undefined ? 'no command given' : `unknown command '${command}'`}\n${USAGE}`);
    process.exitCode = 2;
}

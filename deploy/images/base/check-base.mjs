// The base image's contract, the same for both build paths (Dockerfile and build-base-offline.sh): what the
// platform's images rely on. Run inside the base: `docker run --rm <base> node /usr/local/lib/saas/check-base.mjs`.
// Prints one JSON line; exits 1 naming each missing part.
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';

const problems = [];
const facts = { node: process.versions.node, uid: process.getuid?.() };

/** A tool's version line (nginx prints it on stderr), or a problem. */
function version(file, flag) {
  const out = spawnSync(file, [flag], { encoding: 'utf8' });
  const text = `${out.stdout ?? ''}${out.stderr ?? ''}`.trim();
  if (out.error || out.status !== 0) problems.push(`${file} ${flag}: ${out.error?.message ?? text}`);
  return text;
}

if (process.versions.node.split('.')[0] !== '24') problems.push(`node is ${process.versions.node}, not 24`);
for (const tool of ['pg_dump', 'pg_restore', 'psql']) {
  facts[tool] = version(tool, '--version');
  if (facts[tool] && !/\) 15\.\d+/.test(facts[tool])) problems.push(`${tool} is '${facts[tool]}', not PostgreSQL 15`);
}
facts.nginx = version('nginx', '-v');
if (facts.nginx && !/^nginx version: nginx\/1\.\d+/.test(facts.nginx)) problems.push(`nginx -v said '${facts.nginx}'`);

try {
  if (!readFileSync('/etc/nginx/mime.types', 'utf8').includes('application/javascript'))
    problems.push('/etc/nginx/mime.types lacks JavaScript');
} catch (err) {
  problems.push(`/etc/nginx/mime.types: ${err.message}`);
}
try {
  facts.caCertificates = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8').split('BEGIN CERTIFICATE').length - 1;
  if (facts.caCertificates < 50) problems.push(`/etc/ssl/certs/ca-certificates.crt holds only ${facts.caCertificates} certificates`);
} catch (err) {
  problems.push(`/etc/ssl/certs/ca-certificates.crt: ${err.message}`);
}
// /etc/hosts through nsswitch: containers reach the host and each other by name.
try {
  facts.localhost = (await lookup('localhost', { family: 4 })).address;
} catch (err) {
  problems.push(`resolving localhost: ${err.message}`);
}
if (facts.uid === 0) problems.push('runs as root by default');

process.stdout.write(`${JSON.stringify({ ok: problems.length === 0, ...facts, problems })}\n`);
process.exitCode = problems.length === 0 ? 0 : 1;

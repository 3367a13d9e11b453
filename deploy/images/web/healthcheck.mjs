// The SPA image's HEALTHCHECK: nginx answers on both SPAs' ports.
import http from 'node:http';

const check = (port) =>
  new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 3000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? '' : `:${port}/healthz answered ${res.statusCode}`));
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 3000 ms')));
    request.on('error', (err) => resolve(`:${port}/healthz: ${err.message}`));
  });

const failures = (await Promise.all([check(8080), check(8081)])).filter(Boolean);
process.stdout.write(failures.length === 0 ? 'web: ok\n' : `web: ${failures.join('; ')}\n`);
process.exitCode = failures.length === 0 ? 0 : 1;

import { describe, expect, it } from 'vitest';
import { edgeSettings, instanceRoute } from '../../test/support/edge-fixtures.js';
import { renderPlatformFiles } from './nginx-config.js';
import type { TlsCert } from './nginx-directives.js';
import { renderInstanceConf } from './nginx-instance-config.js';

/** What monitoring needs from the edge's config: the instance in the access log, and stub_status. */

const settings = edgeSettings;

const ID = instanceRoute().instanceId;
const route = instanceRoute;
const cert: TlsCert = { certFile: '/srv/edge/certs/x/fullchain.pem', keyFile: '/srv/edge/certs/x/privkey.pem', ocsp: false };

/** The server blocks of a config, as text (top-level `server {` up to its closing brace). */
function serverBlocks(conf: string): string[] {
  const blocks: string[] = [];
  let at = conf.indexOf('server {');
  while (at >= 0) {
    let depth = 0;
    let end = at;
    for (; end < conf.length; end++) {
      if (conf[end] === '{') depth++;
      if (conf[end] === '}' && --depth === 0) break;
    }
    blocks.push(conf.slice(at, end + 1));
    at = conf.indexOf('server {', end);
  }
  return blocks;
}

describe('access log', () => {
  it('ends each line with the instance that served it, "-" when none did', () => {
    const main = renderPlatformFiles(settings()).get('nginx.conf') ?? '';
    const logFormat = /log_format edge ([^;]+);/.exec(main)?.[1] ?? '';
    expect(logFormat).toMatch(/inst=\$edge_log_instance'$/);
    expect(main).toMatch(/map \$edge_instance \$edge_log_instance \{\s+"" "-";\s+default \$edge_instance;\s+\}/);
  });

  it('declares $edge_instance in every platform server (no "uninitialized variable" warnings), TLS mode too', () => {
    const tls = renderPlatformFiles(settings({ httpsPort: 443 }), { publicHost: cert, adminHost: cert }).get('nginx.conf') ?? '';
    for (const conf of [renderPlatformFiles(settings()).get('nginx.conf') ?? '', tls]) {
      const blocks = serverBlocks(conf).filter((b) => !b.includes('ssl_reject_handshake'));
      expect(blocks.length).toBeGreaterThanOrEqual(3);
      for (const block of blocks) expect(block).toContain('set $edge_instance "";');
    }
  });

  it("sets the instance id in each of an instance's servers: active, TLS, redirect and status pages", () => {
    const certs = new Map([['erp.acme-corp.com', cert]]);
    const confs = [
      renderInstanceConf(route(), settings()),
      renderInstanceConf(route(), settings({ httpsPort: 443 }), certs),
      renderInstanceConf(route({ state: 'stopped' }), settings()),
      renderInstanceConf(route({ state: 'suspended' }), settings({ httpsPort: 443 }), certs),
    ];
    for (const conf of confs) {
      const blocks = serverBlocks(conf);
      expect(blocks.length).toBeGreaterThanOrEqual(1);
      for (const block of blocks) expect(block).toContain(`set $edge_instance "${ID}";`);
    }
  });
});

describe('stub_status', () => {
  it('is a loopback-only server on the status port, when one is set', () => {
    expect(renderPlatformFiles(settings()).get('nginx.conf')).not.toContain('stub_status');
    const main = renderPlatformFiles(settings({ statusPort: 8089 })).get('nginx.conf') ?? '';
    const block = serverBlocks(main).find((b) => b.includes('stub_status')) ?? '';
    expect(block).toContain('listen 127.0.0.1:8089;');
    expect(block).toMatch(/location = \/stub_status \{\s+stub_status;\s+allow 127\.0\.0\.1;\s+deny all;\s+\}/);
    expect(block).toContain('access_log off;');
  });

  it('refuses a port that is not one', () => {
    expect(() => renderPlatformFiles(settings({ statusPort: 0 }))).toThrow();
    expect(() => renderPlatformFiles(settings({ statusPort: 70000 }))).toThrow();
  });
});

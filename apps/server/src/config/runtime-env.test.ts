import { describe, expect, it } from 'vitest';
import { MINIMAL_ENV as base, configProblems as problemsOf } from '../../test/support/config-problems.js';
import { serverVersion } from '../paths.js';
import { parseConfig } from './config.js';

const swarm = { ...base, INSTANCE_RUNTIME: 'swarm', EGRESS_POLICY: 'off' };
const tls = { SWARM_TLS_CA: 'ca-pem', SWARM_TLS_CERT: 'cert-pem', SWARM_TLS_KEY: 'key-pem' };

describe('INSTANCE_RUNTIME', () => {
  it('is this machine’s engine by default', () => {
    expect(parseConfig(base).runtime).toEqual({ driver: 'docker' });
  });

  it('drives a swarm through a manager and each node’s engine, sockets or mutual TLS', () => {
    const config = parseConfig({
      ...swarm,
      ...tls,
      SWARM_MANAGER: 'unix:///run/lab/n1.sock',
      SWARM_NODE_ENGINES: 'lab-n1=unix:///run/lab/n1.sock, node-2.example.net=tcp://10.0.4.12:2376',
    });
    expect(config.runtime).toEqual({
      driver: 'swarm',
      manager: { socketPath: '/run/lab/n1.sock' },
      nodeEngines: {
        'lab-n1': { socketPath: '/run/lab/n1.sock' },
        'node-2.example.net': { host: '10.0.4.12', port: 2376, protocol: 'https', ca: 'ca-pem', cert: 'cert-pem', key: 'key-pem' },
      },
      egressImage: `saas-node-firewall:${serverVersion()}`,
    });
  });

  it('refuses a swarm without its endpoints, a TCP engine without TLS, bad pairs, and a bad egress image', () => {
    expect(problemsOf({ ...swarm })).toEqual([
      expect.stringMatching(/^SWARM_MANAGER: is required/),
      expect.stringMatching(/^SWARM_NODE_ENGINES: is required/),
    ]);
    expect(problemsOf({ ...swarm, SWARM_MANAGER: 'tcp://10.0.4.11:2376', SWARM_NODE_ENGINES: 'n1=unix:///a.sock' })).toEqual([
      expect.stringMatching(/^SWARM_MANAGER: tcp:\/\/10.0.4.11:2376: a TCP endpoint needs SWARM_TLS_CA, SWARM_TLS_CERT and SWARM_TLS_KEY/),
    ]);
    const pairs = 'n1=unix:///a.sock,n1=unix:///b.sock,bad name=unix:///c.sock,n2=http://x:1,n3';
    expect(problemsOf({ ...swarm, SWARM_MANAGER: 'unix:///a.sock', SWARM_NODE_ENGINES: pairs })).toEqual([
      'SWARM_NODE_ENGINES: n1 is listed twice',
      expect.stringMatching(/^SWARM_NODE_ENGINES: "bad name=unix:\/\/\/c.sock": "bad name" is not a node's hostname/),
      expect.stringMatching(/^SWARM_NODE_ENGINES: "n2=http:\/\/x:1" "http:\/\/x:1" is not unix:\/\/\/path or tcp:\/\/host:port/),
      expect.stringMatching(/^SWARM_NODE_ENGINES: "n3" is not hostname=endpoint/),
    ]);
    const fenced = { ...swarm, EGRESS_POLICY: 'on', SWARM_MANAGER: 'unix:///a.sock', SWARM_NODE_ENGINES: 'n1=unix:///a.sock' };
    // Without SWARM_EGRESS_IMAGE, the platform's own image of this version (scripts/build-images.sh builds it).
    expect(parseConfig(fenced).runtime).toMatchObject({ driver: 'swarm', egressImage: `saas-node-firewall:${serverVersion()}` });
    expect(serverVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(problemsOf({ ...fenced, SWARM_EGRESS_IMAGE: 'nft tools' })).toEqual([
      expect.stringMatching(/^SWARM_EGRESS_IMAGE: "nft tools" is not an image reference/),
    ]);
    const config = parseConfig({ ...fenced, SWARM_EGRESS_IMAGE: 'registry.internal/saas-nft:1' });
    expect(config.egressPolicy).toBe(true);
    expect(config.runtime).toMatchObject({ driver: 'swarm', egressImage: 'registry.internal/saas-nft:1' });
  });
});

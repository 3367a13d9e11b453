import { describe, expect, it } from 'vitest';
import { type ContainerSpec, RuntimeError } from '../instance-runtime.js';
import { hostsEntries, resourcesMatch, secretName, swarmSpecHash, toServiceSpec, validateServiceSpec } from './swarm-spec.js';

const spec: ContainerSpec = {
  name: 'saas-odoo-abc',
  image: 'odoo:18.0',
  command: ['odoo', '--proxy-mode'],
  env: { HOST: 'db' },
  labels: { 'saas.instance.id': 'i1' },
  network: 'saas-net-abc',
  mounts: [{ volume: 'saas-data-abc', target: '/var/lib/odoo' }],
  files: [{ path: '/etc/odoo/odoo.conf', content: '[options]\n', mode: 0o440, uid: 101, gid: 101 }],
  limits: { memoryMb: 512, cpuMillis: 1500, pids: 256 },
  user: '101:101',
  publish: [{ containerPort: 8069, hostPort: 20001 }],
  extraHosts: ['host.docker.internal:host-gateway'],
  restart: 'unless-stopped',
  readOnlyRootfs: true,
  tmpfs: [{ target: '/tmp', sizeMb: 64 }],
};

const ctx = { nodeId: 'node1', imageId: 'sha256:abc', hash: 'h1', secretIds: ['sec1'], replicas: 1 as const };

describe('toServiceSpec', () => {
  const service = toServiceSpec(spec, ctx);
  const template = service.TaskTemplate as NonNullable<typeof service.TaskTemplate> & { ContainerSpec: Record<string, unknown> };
  const container = template.ContainerSpec;

  it('makes one replica pinned to the node, with dnsrr and host-mode ports', () => {
    expect(service.Name).toBe('saas-odoo-abc');
    expect(service.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(template.Placement).toEqual({ Constraints: ['node.id==node1'] });
    expect(service.EndpointSpec).toEqual({
      Mode: 'dnsrr',
      Ports: [{ Protocol: 'tcp', TargetPort: 8069, PublishedPort: 20001, PublishMode: 'host' }],
    });
    expect(template.Networks).toEqual([{ Target: 'saas-net-abc' }]);
    expect(service.UpdateConfig?.Order).toBe('stop-first');
  });

  it('labels the service with the spec hash and the node, and runs the image by its id', () => {
    expect(service.Labels).toMatchObject({
      'saas.instance.id': 'i1',
      'saas.managed': 'true',
      'saas.spec-hash': 'h1',
      'saas.swarm.node-id': 'node1',
    });
    expect(container.Image).toBe('sha256:abc');
    expect(container.Args).toEqual(['odoo', '--proxy-mode']);
    // No entrypoint in the spec: the image's stays (Command is Swarm's word for the entrypoint).
    expect(container.Command).toBeUndefined();
    expect(toServiceSpec({ ...spec, entrypoint: ['/bin/tool'] }, ctx).TaskTemplate).toMatchObject({
      ContainerSpec: { Command: ['/bin/tool'] },
    });
  });

  it('sets limits and equal reservations, the restart policy and the hardening', () => {
    expect(template.Resources).toEqual({
      Limits: { MemoryBytes: 512 * 1048576, NanoCPUs: 1_500_000_000, Pids: 256 },
      Reservations: { MemoryBytes: 512 * 1048576, NanoCPUs: 1_500_000_000 },
    });
    expect(template.RestartPolicy?.Condition).toBe('any');
    expect(toServiceSpec({ ...spec, restart: 'no' }, ctx).TaskTemplate?.RestartPolicy?.Condition).toBe('none');
    expect(container.ReadOnly).toBe(true);
    expect(container.CapabilityDrop).toEqual(['ALL']);
    expect(container.User).toBe('101:101');
    expect(container.Hosts).toEqual(['host-gateway host.docker.internal']);
  });

  it('mounts the volume, a scratch volume for the files directory, the tmpfs, and the files as secrets', () => {
    expect(container.Mounts).toEqual([
      { Type: 'volume', Source: 'saas-data-abc', Target: '/var/lib/odoo', ReadOnly: false },
      { Type: 'volume', Source: '', Target: '/etc/odoo', ReadOnly: false },
      { Type: 'tmpfs', Source: '', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1048576, Mode: 0o1777 } },
    ]);
    expect(container.Secrets).toEqual([
      {
        SecretID: 'sec1',
        SecretName: secretName(spec.name, spec.files[0] as ContainerSpec['files'][number]),
        File: { Name: '/etc/odoo/odoo.conf', UID: '101', GID: '101', Mode: 0o440 },
      },
    ]);
  });

  it('wants one secret per file', () => {
    expect(() => toServiceSpec(spec, { ...ctx, secretIds: [] })).toThrow(RuntimeError);
  });
});

describe('swarmSpecHash and secretName', () => {
  it('changes with the node and the content, not with the limits', () => {
    const hash = swarmSpecHash(spec, 'sha256:abc', 'node1');
    expect(swarmSpecHash({ ...spec, limits: { memoryMb: 1024, cpuMillis: 1, pids: 1 } }, 'sha256:abc', 'node1')).toBe(hash);
    expect(swarmSpecHash(spec, 'sha256:abc', 'node2')).not.toBe(hash);
    expect(swarmSpecHash(spec, 'sha256:abd', 'node1')).not.toBe(hash);
    expect(swarmSpecHash({ ...spec, env: { HOST: 'other' } }, 'sha256:abc', 'node1')).not.toBe(hash);
  });

  it('names a secret after its service and content, within Swarm’s 64 characters', () => {
    const file = { path: '/a', content: 'x', mode: 0o400, uid: 0, gid: 0 };
    const long = 'a'.repeat(63);
    expect(secretName(long, file).length).toBeLessThanOrEqual(64);
    expect(secretName('s', file)).not.toBe(secretName('s', { ...file, content: 'y' }));
    expect(secretName('s', file)).not.toBe(secretName('t', file));
    expect(secretName('s', file)).toBe(secretName('s', { ...file, path: '/b' }));
  });
});

describe('validation and small mappings', () => {
  it('refuses names Swarm refuses for services', () => {
    expect(() => validateServiceSpec({ ...spec, name: 'has_underscore' })).toThrow(/DNS label/);
    expect(() => validateServiceSpec({ ...spec, name: 'a'.repeat(64) })).toThrow(/DNS label/);
    expect(() => validateServiceSpec(spec)).not.toThrow();
  });

  it('turns host:address pairs into hosts-file lines', () => {
    expect(hostsEntries(['db:10.0.0.5', 'x:host-gateway'])).toEqual(['10.0.0.5 db', 'host-gateway x']);
    expect(() => hostsEntries(['nocolon'])).toThrow(RuntimeError);
  });

  it('compares the service resources with limits', () => {
    const resources = toServiceSpec(spec, ctx).TaskTemplate?.Resources;
    expect(resourcesMatch(resources, spec.limits)).toBe(true);
    expect(resourcesMatch(resources, { ...spec.limits, pids: 1 })).toBe(false);
    expect(resourcesMatch(undefined, spec.limits)).toBe(false);
  });
});

import type Docker from 'dockerode';
import { engineCall, engineStatus, tolerate, toRuntimeError } from '../docker/docker-errors.js';
import { assertName, labelFilters, MANAGED_LABEL } from '../docker/docker-spec.js';
import { type Labels, type NetworkSpec, RuntimeError } from '../instance-runtime.js';

/**
 * An instance's network on a swarm: an overlay (VXLAN between the nodes), attachable so that the one-off
 * containers a node's engine runs for the instance (init, restores) join it too.
 */

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

async function inspectNetwork(manager: Docker, name: string): Promise<Docker.NetworkInspectInfo | null> {
  const info = await tolerate(manager.getNetwork(name).inspect() as Promise<Docker.NetworkInspectInfo>, [404]);
  // The engine also resolves ID prefixes; only an exact name counts.
  return info && info.Name === name ? info : null;
}

const subnetsOf = (info: Docker.NetworkInspectInfo) =>
  (info.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => typeof s === 'string');

function checkExisting(info: Docker.NetworkInspectInfo, spec: NetworkSpec): void {
  const subnets = subnetsOf(info);
  if (info.Driver !== 'overlay' || !subnets.includes(spec.subnet)) {
    throw new RuntimeError(
      'ensureNetwork',
      spec.name,
      `exists as a ${info.Driver} network with subnet ${subnets.join(', ') || 'none'}, not an overlay with ${spec.subnet}`,
      { statusCode: 409 },
    );
  }
}

export async function ensureOverlay(manager: Docker, spec: NetworkSpec): Promise<void> {
  assertName('network', spec.name);
  const match = IPV4_CIDR.exec(spec.subnet);
  if (!match?.slice(1, 5).every((octet) => Number(octet) <= 255) || Number(match[5]) > 32) {
    throw new RuntimeError('validate', spec.name, `invalid IPv4 subnet ${JSON.stringify(spec.subnet)}`);
  }
  const step = <T>(call: () => Promise<T>) => engineCall('ensureNetwork', spec.name, call);
  const existing = await step(() => inspectNetwork(manager, spec.name));
  if (existing) return checkExisting(existing, spec);
  try {
    await manager.createNetwork({
      Name: spec.name,
      CheckDuplicate: true,
      Driver: 'overlay',
      Attachable: true,
      Internal: false,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet }] },
      Labels: { ...spec.labels, [MANAGED_LABEL]: 'true' },
    });
  } catch (err) {
    // Lost a race with another creator of the same name: fine if it is the same network.
    const raced = engineStatus(err) === 409 ? await step(() => inspectNetwork(manager, spec.name)) : null;
    if (raced) return checkExisting(raced, spec);
    throw toRuntimeError('ensureNetwork', spec.name, err);
  }
}

export async function removeOverlay(manager: Docker, name: string): Promise<void> {
  assertName('network', name);
  await engineCall('removeNetwork', name, async () => {
    const info = await inspectNetwork(manager, name);
    if (info) await tolerate(manager.getNetwork(info.Id).remove(), [404]);
  });
}

/** The swarm's networks with the labels (a manager also lists its own node's local networks: those are left out). */
export async function listOverlays(manager: Docker, labels: Labels) {
  const networks = await engineCall('listNetworks', labelFilters(labels).join(','), () =>
    manager.listNetworks({ filters: { label: labelFilters(labels), scope: ['swarm'] } }),
  );
  return networks.map((n) => ({ name: n.Name, subnet: subnetsOf(n)[0] ?? null, labels: n.Labels ?? {} }));
}

import type Docker from 'dockerode';
import { engineCall, engineStatus, toRuntimeError } from '../docker/docker-errors.js';
import { assertSubnet, inspectNetwork, subnetsOf } from '../docker/docker-networks.js';
import { assertName, labelFilters, MANAGED_LABEL } from '../docker/docker-spec.js';
import { type Labels, type NetworkSpec, RuntimeError } from '../instance-runtime.js';

/**
 * An instance's network on a swarm: an overlay (VXLAN between the nodes), attachable so that the one-off
 * containers a node's engine runs for the instance (init, restores) join it too.
 */

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
  assertSubnet(spec.name, spec.subnet);
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

/** The swarm's networks with the labels (a manager also lists its own node's local networks: those are left out). */
export async function listOverlays(manager: Docker, labels: Labels) {
  const networks = await engineCall('listNetworks', labelFilters(labels).join(','), () =>
    manager.listNetworks({ filters: { label: labelFilters(labels), scope: ['swarm'] } }),
  );
  return networks.map((n) => ({ name: n.Name, subnet: subnetsOf(n)[0] ?? null, labels: n.Labels ?? {} }));
}

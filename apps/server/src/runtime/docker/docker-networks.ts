import type Docker from 'dockerode';
import { type Labels, type NetworkSpec, RuntimeError } from '../instance-runtime.js';
import { findSubnetClash, subnetClashError } from './docker-conflicts.js';
import { engineCall, engineStatus, tolerate, toRuntimeError } from './docker-errors.js';
import { assertName, labelFilters, MANAGED_LABEL } from './docker-spec.js';

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function assertSubnet(name: string, subnet: string): void {
  const match = IPV4_CIDR.exec(subnet);
  const valid = match?.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(match?.[5]) <= 32;
  if (!valid) throw new RuntimeError('validate', name, `invalid IPv4 subnet ${JSON.stringify(subnet)}`);
}

export async function inspectNetwork(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo | null> {
  const info = await tolerate(docker.getNetwork(name).inspect() as Promise<Docker.NetworkInspectInfo>, [404]);
  // The engine also resolves id prefixes; only an exact name counts.
  return info && info.Name === name ? info : null;
}

export function subnetsOf(info: Docker.NetworkInspectInfo): string[] {
  return (info.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => typeof s === 'string');
}

function checkExisting(info: Docker.NetworkInspectInfo, spec: NetworkSpec): void {
  const subnets = subnetsOf(info);
  if (!subnets.includes(spec.subnet)) {
    throw new RuntimeError('ensureNetwork', spec.name, `exists with subnet ${subnets.join(', ') || 'none'}, not ${spec.subnet}`, {
      statusCode: 409,
    });
  }
}

export async function ensureNetwork(docker: Docker, spec: NetworkSpec): Promise<void> {
  assertName('network', spec.name);
  assertSubnet(spec.name, spec.subnet);
  const step = <T>(call: () => Promise<T>) => engineCall('ensureNetwork', spec.name, call);
  const existing = await step(() => inspectNetwork(docker, spec.name));
  if (existing) return checkExisting(existing, spec);
  // Checked first so the error names the other network and its owner, not just "Pool overlaps".
  const clash = await step(() => findSubnetClash(docker, spec.name, spec.subnet));
  if (clash) throw subnetClashError(spec.name, spec.subnet, clash);
  try {
    await docker.createNetwork({
      Name: spec.name,
      // Without it, engines before 25.0 happily create a second network with the same name.
      CheckDuplicate: true,
      Driver: 'bridge',
      Internal: false,
      Attachable: false,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet }] },
      Options: { 'com.docker.network.bridge.enable_icc': 'true' },
      Labels: { ...spec.labels, [MANAGED_LABEL]: 'true' },
    });
  } catch (err) {
    // Lost a race with another creator of the same name: fine if it is the same network.
    const raced = engineStatus(err) === 409 ? await step(() => inspectNetwork(docker, spec.name)) : null;
    if (raced) return checkExisting(raced, spec);
    // Or with another network taking an overlapping subnet meanwhile.
    const late = await findSubnetClash(docker, spec.name, spec.subnet).catch(() => null);
    throw late ? subnetClashError(spec.name, spec.subnet, late) : toRuntimeError('ensureNetwork', spec.name, err);
  }
}

export async function removeNetwork(docker: Docker, name: string): Promise<void> {
  assertName('network', name);
  await engineCall('removeNetwork', name, async () => {
    const info = await inspectNetwork(docker, name);
    if (info) await tolerate(docker.getNetwork(info.Id).remove(), [404]);
  });
}

export async function listNetworks(docker: Docker, labels: Labels) {
  const networks = await engineCall('listNetworks', labelFilters(labels).join(','), () =>
    docker.listNetworks({ filters: { label: labelFilters(labels) } }),
  );
  return networks.map((n) => ({ name: n.Name, subnet: subnetsOf(n)[0] ?? null, labels: n.Labels ?? {} }));
}

import type Docker from 'dockerode';
import { RuntimeError } from '../instance-runtime.js';
import { subnetsOverlap } from '../subnets.js';
import { engineCall } from './docker-errors.js';

/**
 * Names what another platform (or its tests, or anything else on the engine) holds when one of ours
 * cannot get its subnet or host port: the engine itself only says "Pool overlaps with other one on
 * this address space" or "port is already allocated".
 */

/** The label carrying the RESOURCE_PREFIX of the platform that created an engine object. */
const OWNER_LABEL = 'saas.platform';

function ownerOf(owner: string | null | undefined): string {
  return owner ? `owned by prefix ${owner}` : 'not created by a platform';
}

export interface SubnetClash {
  network: string;
  subnet: string;
  owner: string | null;
}

/** Another network (not `name`) whose subnet overlaps `subnet`, if any. */
export async function findSubnetClash(docker: Docker, name: string, subnet: string): Promise<SubnetClash | null> {
  const networks = await engineCall('listNetworks', subnet, () => docker.listNetworks());
  for (const net of networks) {
    if (net.Name === name) continue;
    for (const config of net.IPAM?.Config ?? []) {
      if (config.Subnet && subnetsOverlap(subnet, config.Subnet)) {
        return { network: net.Name, subnet: config.Subnet, owner: net.Labels?.[OWNER_LABEL] ?? null };
      }
    }
  }
  return null;
}

export function subnetClashError(name: string, subnet: string, clash: SubnetClash): RuntimeError {
  return new RuntimeError(
    'ensureNetwork',
    name,
    `network ${name} ${subnet} overlaps network ${clash.network} ${clash.subnet} ${ownerOf(clash.owner)}; ` +
      'give each platform (and its tests) its own INSTANCE_SUBNET_POOL, or remove that network',
    { statusCode: 409 },
  );
}

const PORT_IN_USE = /port is already allocated|address already in use/i;

/** Who publishes a host port: a container of the engine, or (unknown) a process of the host. */
async function portHolder(docker: Docker, port: number, self: string): Promise<string> {
  const containers = await docker.listContainers().catch(() => []);
  for (const c of containers) {
    const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
    if (name !== self && c.Ports?.some((p) => p.PublicPort === port)) return `container ${name} (${ownerOf(c.Labels?.[OWNER_LABEL])})`;
  }
  return 'a process outside the engine';
}

/**
 * A clear error for a container that could not start because one of its host ports is taken, or null
 * when that is not why it failed.
 */
export async function portClashError(
  docker: Docker,
  spec: { name: string; publish?: { hostPort: number }[] },
  message: string,
): Promise<RuntimeError | null> {
  if (!PORT_IN_USE.test(message)) return null;
  const ports = (spec.publish ?? []).map((p) => p.hostPort);
  // The engine names the port it failed on ("Bind for 127.0.0.1:20000 failed", "listen tcp4 127.0.0.1:20000: bind").
  const port = ports.find((p) => message.includes(`:${p}`)) ?? ports[0];
  if (port === undefined) return null;
  const holder = await portHolder(docker, port, spec.name);
  return new RuntimeError(
    'ensureContainer',
    spec.name,
    `host port 127.0.0.1:${port} of ${spec.name} is already in use by ${holder}; ` +
      'give each platform (and its tests) its own INSTANCE_PORT_BASE, or free the port',
    { statusCode: 409 },
  );
}

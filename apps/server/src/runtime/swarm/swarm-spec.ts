import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { STOP_TIMEOUT_SECONDS } from '../docker/docker-containers.js';
import { MANAGED_LABEL, SPEC_HASH_LABEL, specHash, specMounts, validateSpec } from '../docker/docker-spec.js';
import { type ContainerSpec, type FileToWrite, type ResourceLimits, RuntimeError } from '../instance-runtime.js';

/** The swarm node an instance (its service, its volumes) is pinned to: a label on the service and the volumes. */
export const NODE_LABEL = 'saas.swarm.node-id';
/** Which service a secret holding one of its files belongs to (for clean-up). */
export const SECRET_OWNER_LABEL = 'saas.swarm.service';

/** Bumped when what the driver derives from a spec changes, so services made by an older driver get updated. */
const TEMPLATE_VERSION = 1;

const MiB = 1024 * 1024;
const SECOND_NS = 1_000_000_000;

/**
 * Swarm's rule for service names (a DNS label): stricter than a container name's (no `_` or `.`), so a spec
 * valid for the Docker driver can still be refused here, before anything is created.
 */
const SERVICE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

export function validateServiceSpec(spec: ContainerSpec): void {
  validateSpec(spec);
  if (!SERVICE_NAME.test(spec.name)) {
    throw new RuntimeError('validate', spec.name, 'a swarm service name is a DNS label: letters, digits and inner dashes, at most 63');
  }
}

/** The Docker driver's hash (spec without limits, image id) plus the node: a move to another node is a change. */
export function swarmSpecHash(spec: ContainerSpec, imageId: string, nodeId: string): string {
  return createHash('sha256')
    .update(`${TEMPLATE_VERSION}\0${nodeId}\0${specHash(spec, imageId)}`)
    .digest('hex');
}

/** Limits and the same reservations: the scheduler then refuses a node that cannot hold them (memory first). */
export function limitsToResources(limits: ResourceLimits): Docker.ResourceRequirements {
  const memory = limits.memoryMb * MiB;
  const cpus = limits.cpuMillis * 1_000_000;
  return { Limits: { MemoryBytes: memory, NanoCPUs: cpus, Pids: limits.pids }, Reservations: { MemoryBytes: memory, NanoCPUs: cpus } };
}

export function resourcesMatch(resources: Docker.ResourceRequirements | undefined, limits: ResourceLimits): boolean {
  const wanted = limitsToResources(limits);
  const limit = resources?.Limits;
  return (
    limit?.MemoryBytes === wanted.Limits?.MemoryBytes &&
    limit?.NanoCPUs === wanted.Limits?.NanoCPUs &&
    limit?.Pids === wanted.Limits?.Pids &&
    resources?.Reservations?.MemoryBytes === wanted.Reservations?.MemoryBytes &&
    resources?.Reservations?.NanoCPUs === wanted.Reservations?.NanoCPUs
  );
}

/**
 * A file's secret: named after its service and a hash of both (secrets cannot be changed, so new content is a new
 * secret), at most 57 characters of Swarm's 64.
 */
export function secretName(service: string, file: FileToWrite): string {
  const hash = createHash('sha256').update(`${service}\0${file.content}`).digest('hex').slice(0, 16);
  return `${service.slice(0, 40)}-${hash}`;
}

/** `host:address` (Docker's form) to `address host` (the hosts-file form Swarm's ContainerSpec.Hosts takes). */
export function hostsEntries(extraHosts: readonly string[]): string[] {
  return extraHosts.map((entry) => {
    const at = entry.indexOf(':');
    if (at <= 0) throw new RuntimeError('validate', entry, 'extra hosts are host:address pairs');
    return `${entry.slice(at + 1)} ${entry.slice(0, at)}`;
  });
}

export interface ServiceContext {
  nodeId: string;
  /** The image's ID on the node: a tag would send every task start to a registry first. */
  imageId: string;
  hash: string;
  /** One secret per file of the spec, in the same order. */
  secretIds: string[];
  replicas: 0 | 1;
  forceUpdate?: number;
}

/**
 * The service of one instance container: one replica pinned to its node (moves are the platform's, with the
 * data), dnsrr (no IPVS needed), ports in host mode, the files as secrets mounted at their paths.
 */
export function toServiceSpec(spec: ContainerSpec, ctx: ServiceContext): Docker.CreateServiceOptions {
  if (ctx.secretIds.length !== spec.files.length) throw new RuntimeError('ensureContainer', spec.name, 'one secret per file expected');
  const labels = { ...spec.labels, [MANAGED_LABEL]: 'true', [SPEC_HASH_LABEL]: ctx.hash, [NODE_LABEL]: ctx.nodeId };
  const containerSpec: Docker.ContainerSpec = {
    Image: ctx.imageId,
    ...(spec.entrypoint ? { Command: spec.entrypoint } : {}),
    ...(spec.command.length > 0 ? { Args: spec.command } : {}),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: labels,
    User: spec.user,
    ReadOnly: spec.readOnlyRootfs ?? false,
    CapabilityDrop: ['ALL'],
    StopGracePeriod: STOP_TIMEOUT_SECONDS * SECOND_NS,
    Hosts: hostsEntries(spec.extraHosts),
    Mounts: specMounts(spec),
    Secrets: spec.files.map((file, i) => ({
      SecretID: ctx.secretIds[i] as string,
      SecretName: secretName(spec.name, file),
      File: { Name: file.path, UID: String(file.uid), GID: String(file.gid), Mode: file.mode },
    })),
  };
  return {
    Name: spec.name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Resources: limitsToResources(spec.limits),
      // `any` restarts after a crash as `unless-stopped` does; a stop is a scale to 0, never a restart policy.
      RestartPolicy: { Condition: spec.restart === 'unless-stopped' ? 'any' : 'none', Delay: 5 * SECOND_NS, MaxAttempts: 0 },
      Placement: { Constraints: [`node.id==${ctx.nodeId}`] },
      Networks: [{ Target: spec.network }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } },
      ForceUpdate: ctx.forceUpdate ?? 0,
    },
    Mode: { Replicated: { Replicas: ctx.replicas } },
    // The old task stops before the new one starts: they share the volume and the host port.
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'continue' },
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: spec.publish.map((p) => ({
        Protocol: 'tcp' as const,
        TargetPort: p.containerPort,
        PublishedPort: p.hostPort,
        PublishMode: 'host' as const,
      })),
    },
  } as Docker.CreateServiceOptions;
}

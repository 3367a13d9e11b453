import type { Readable } from 'node:stream';

/**
 * Everything the platform asks of the engine that runs Odoo containers. Domain code depends on this
 * interface only; `docker/` implements it for one Docker engine, a Swarm driver will follow.
 * Names are the platform's own (deterministic per instance), so every call is idempotent.
 */

export interface ResourceLimits {
  memoryMb: number;
  /** CPU share in thousandths of a core (1000 = one core). */
  cpuMillis: number;
  pids: number;
}

export type Labels = Record<string, string>;

/**
 * The role label (`saas.role`) of the helper container that seeds a new volume from an image
 * (`ensureVolume`): created and removed at once, it carries the volume's labels, so one left by a crash
 * in between is found by its platform's label and removed (the volume cannot be removed while it exists).
 */
export const VOLUME_SEED_ROLE = 'volume-seed';

export interface NetworkSpec {
  name: string;
  /** An IPv4 CIDR from the platform's own pool (Docker's default pools run out after ~30 networks). */
  subnet: string;
  labels: Labels;
}

export interface VolumeMount {
  volume: string;
  target: string;
  readOnly?: boolean;
}

export interface FileToWrite {
  /** Absolute path inside the container. */
  path: string;
  content: string;
  mode: number;
  uid: number;
  gid: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  /** Replaces the image's entrypoint (e.g. to run a tool the entrypoint would not pass through); absent = the image's. */
  entrypoint?: string[];
  /** Arguments after the entrypoint; empty = the image's default command. */
  command: string[];
  env: Record<string, string>;
  labels: Labels;
  network: string;
  mounts: VolumeMount[];
  /** Files placed into the container before it starts (e.g. the Odoo config file). */
  files: FileToWrite[];
  limits: ResourceLimits;
  user: string;
  /** Container port → host port published on 127.0.0.1 only. */
  publish: { containerPort: number; hostPort: number }[];
  /** host:address pairs for /etc/hosts; "host-gateway" means the engine's host. */
  extraHosts: string[];
  restart: 'no' | 'unless-stopped';
  /**
   * The image's filesystem is mounted read-only: only `mounts`, `tmpfs` and the directories of `files` (kept
   * in a scratch volume of the container's own, gone with it) can be written.
   */
  readOnlyRootfs?: boolean;
  /** In-memory scratch directories, empty at every start; what they hold counts against the memory limit. */
  tmpfs?: TmpfsMount[];
}

export interface TmpfsMount {
  target: string;
  sizeMb: number;
}

export type ContainerRunState = 'running' | 'restarting' | 'exited' | 'created' | 'paused' | 'dead' | 'removing';

export interface ContainerInfo {
  id: string;
  name: string;
  state: ContainerRunState;
  labels: Labels;
  /** Hash of the spec it was created from, to tell a stale container from a current one. */
  specHash: string | null;
  startedAt: string | null;
  /** The code of its last exit while it is stopped or between two runs of a restart; null while it runs (the engine resets it). */
  exitCode: number | null;
  restartCount: number;
  /** When the container was created (ISO time); the reconciler's orphan grace period counts from it. */
  createdAt: string | null;
  /** The node it runs on (RuntimeNode.id); absent where the runtime has a single node. */
  nodeId?: string;
}

export interface OneOffResult {
  exitCode: number;
  output: string;
}

export interface ContainerStats {
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

/** A container's resource counters from one cheap engine read (metrics; no CPU-percent sampling). */
export interface ContainerUsage {
  /** CPU time used since the container started, in seconds (cumulative). */
  cpuSeconds: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

/**
 * A machine instances run on: the one engine of the Docker driver, or a node of the swarm. Capacity is what the
 * engine reports (all of the machine's memory and CPUs); what the platform's plans reserve is counted elsewhere.
 */
export interface RuntimeNode {
  /** The engine's ID (Docker) or the swarm node ID. */
  id: string;
  /** Its hostname. */
  name: string;
  /** Where the edge reaches the instances' published ports on it (null: on the edge's own host, 127.0.0.1). */
  address: string | null;
  role: 'standalone' | 'manager' | 'worker';
  /** Swarm's words: `active` takes new instances, `pause` keeps its own but takes none, `drain` is being emptied. */
  availability: 'active' | 'pause' | 'drain';
  state: 'ready' | 'down';
  /** A node that is down: since when, as Swarm recorded the change (null when the runtime cannot tell). */
  downSince?: string | null;
  capacity: { memoryMb: number; cpuMillis: number };
  labels: Labels;
  engineVersion: string;
}

export interface InstanceRuntime {
  /** Whether the engine answers (readiness); rejects when it is away. */
  ping(): Promise<void>;

  /** The machines instances can run on, as the engine (or the swarm's managers) sees them now. */
  listNodes(): Promise<RuntimeNode[]>;

  /** Makes sure the engine has the image; with `pull`, a missing one is pulled (as `docker run` would). */
  ensureImage(image: string, options: { pull: boolean; timeoutMs?: number }): Promise<'present' | 'pulled'>;

  ensureNetwork(spec: NetworkSpec): Promise<void>;
  removeNetwork(name: string): Promise<void>;
  /** Networks that carry a label (e.g. to find subnets in use). */
  listNetworks(labelFilter: Labels): Promise<{ name: string; subnet: string | null; labels: Labels }[]>;

  /**
   * Creates the volume if missing. With `seed`, a new volume first receives the image's directory at
   * `seed.path` (contents and owner), as the engine does when a container first mounts an empty volume —
   * so a data volume written by copies before Odoo ever starts is still owned by Odoo's user.
   */
  ensureVolume(name: string, labels: Labels, seed?: { image: string; path: string }): Promise<void>;
  removeVolume(name: string): Promise<void>;
  volumeExists(name: string): Promise<boolean>;
  /**
   * Volumes that carry the labels, on every engine that answers, with the node of each copy (null on a single
   * engine). A node away is not listed: what it holds is seen once it is back.
   */
  listVolumes(labelFilter: Labels): Promise<{ name: string; nodeId: string | null; labels: Labels }[]>;
  /** Bytes used by a volume, or null when the engine cannot tell; may be up to a minute old (measuring walks every volume). */
  volumeUsage(name: string): Promise<number | null>;
  /**
   * Copies a directory from one volume to another (or within one) under a new name, keeping owners and modes.
   * An existing destination is replaced; missing parents of the destination are created.
   */
  copyBetweenVolumes(from: { volume: string; path: string }, to: { volume: string; path: string }, image: string): Promise<void>;
  /**
   * Streams the volume's directory `path` into the local, empty (or missing) `destDir`: regular files and
   * directories only (modes 0644/0755, owners dropped), under safe names; links, devices and unsafe names are
   * skipped and listed. A missing `path` gives `found: false` and leaves `destDir` empty.
   */
  exportVolumeDir(
    volume: string,
    path: string,
    destDir: string,
    image: string,
  ): Promise<{ found: boolean; files: number; bytes: number; skipped: string[] }>;
  /**
   * Replaces the volume's directory `path` with the local `srcDir` (regular files and directories only; a link
   * in it is an error), every entry owned like the volume's root; missing parents are created likewise.
   */
  importVolumeDir(volume: string, path: string, srcDir: string, image: string): Promise<{ files: number; bytes: number }>;

  /**
   * Runs a container to completion (e.g. `odoo -i base --stop-after-init`), removes it, returns its exit code and output.
   * A timeout or an aborted `signal` kills it and throws.
   */
  runOneOff(spec: Omit<ContainerSpec, 'restart' | 'publish'>, timeoutMs: number, signal?: AbortSignal): Promise<OneOffResult>;

  /** Creates (or recreates, when the spec changed) and starts the container; a change of limits alone is applied in place. */
  ensureContainer(spec: ContainerSpec): Promise<ContainerInfo>;
  inspectContainer(name: string): Promise<ContainerInfo | null>;
  listManagedContainers(labelFilter: Labels): Promise<ContainerInfo[]>;
  startContainer(name: string): Promise<void>;
  stopContainer(name: string, timeoutSeconds?: number): Promise<void>;
  restartContainer(name: string): Promise<void>;
  removeContainer(name: string): Promise<void>;
  updateLimits(name: string, limits: ResourceLimits): Promise<void>;
  logs(name: string, options: { tail: number; follow: boolean; since?: number }): Promise<Readable>;
  stats(name: string): Promise<ContainerStats | null>;
  /** Cumulative CPU and current memory in one read (Docker: one-shot stats); null when it is not running. */
  usage(name: string): Promise<ContainerUsage | null>;
  /** Runs a command in a running container; used by diagnostics and isolation tests. */
  exec(name: string, command: string[]): Promise<OneOffResult>;

  /*
   * Moving instances between machines (drain). A runtime with one machine has nowhere to move them: these
   * refuse with a RuntimeError (409), except `volumeNode`, which answers null.
   */

  /** Whether a node takes new instances (`active`), keeps its own but takes none (`pause`), or is emptied (`drain`). */
  setNodeAvailability(nodeId: string, availability: RuntimeNode['availability']): Promise<void>;
  /** The node holding the volume (the one its containers run on), null when none does or the runtime has one machine. */
  volumeNode(name: string): Promise<string | null>;
  /**
   * Copies a volume, with its labels, onto another node: from then on that copy is the volume (containers mounting it
   * run there) and the one it came from is kept, unused, until `removeVolumeCopy`. Idempotent: asked again, the
   * copy is made again from the original while it exists; once only the copy is left, nothing is done. A new copy
   * is seeded from the image's directory (owner and modes) as `ensureVolume` does. Only regular files and
   * directories cross (as `exportVolumeDir`); the rest is listed in `skipped`. The volume must be unused meanwhile.
   */
  moveVolume(name: string, toNodeId: string, seed: { image: string; path: string }): Promise<VolumeMoveResult>;
  /** Removes the volume's copy on one node (after a move, the original; to undo one, the new copy); never the only copy. */
  removeVolumeCopy(name: string, nodeId: string): Promise<void>;
  /**
   * A lost node's volume made anew on another node (failover), seeded as `ensureVolume` does and labelled as moved
   * from the lost node: from then on it is the volume, and the lost copy, should its node return, is the stale one
   * (`removeVolumeCopy`). Refused (409) while the lost node answers or another node holds the volume. Asked again,
   * the new copy is made again: its content is the caller's to fill.
   */
  replaceLostVolume(
    name: string,
    toNodeId: string,
    lostNodeId: string,
    labels: Labels,
    seed: { image: string; path: string },
  ): Promise<void>;
}

export interface VolumeMoveResult {
  /** The node the volume came from (the node it is on already when it had been moved before). */
  from: string;
  files: number;
  bytes: number;
  skipped: string[];
}

/** An engine call that failed, with what is needed to diagnose it. */
export class RuntimeError extends Error {
  constructor(
    public readonly operation: string,
    public readonly target: string,
    message: string,
    public readonly details: { statusCode?: number; output?: string } = {},
  ) {
    super(`${operation} ${target}: ${message}`);
    this.name = 'RuntimeError';
  }
}

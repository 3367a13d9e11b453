import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineCall, tolerate } from '../docker/docker-errors.js';
import { REMOVE } from '../docker/docker-spec.js';
import { type Labels, RuntimeError, type RuntimeNode, type VolumeMoveResult } from '../instance-runtime.js';
import type { SwarmNodes } from './swarm-nodes.js';
import { NODE_LABEL } from './swarm-spec.js';
import { MOVED_FROM_LABEL, type VolumeHomes } from './swarm-volumes.js';

/**
 * Moving a volume between nodes (DESIGN.md, "Moving instances"): the copy is made on the new node from the
 * original through a local directory, carries the original's labels plus the node it came from, and from then on
 * is the volume; the original stays until the caller has seen the instance answer on the new node.
 */
export class SwarmMoves {
  constructor(
    private readonly nodes: SwarmNodes,
    private readonly homes: VolumeHomes,
  ) {}

  async setAvailability(nodeId: string, availability: RuntimeNode['availability']): Promise<void> {
    const node = this.nodes.manager.getNode(nodeId);
    const current = (await engineCall('setNodeAvailability', nodeId, () => node.inspect())) as {
      Version?: { Index?: number };
      Spec?: Record<string, unknown>;
    };
    if (current.Spec?.Availability === availability) return;
    await engineCall('setNodeAvailability', nodeId, () =>
      node.update({ _query: { version: current.Version?.Index }, _body: { ...current.Spec, Availability: availability } }),
    );
  }

  async move(name: string, toNodeId: string, seed: { image: string; path: string }): Promise<VolumeMoveResult> {
    const { holders } = await this.homes.locate(name);
    const target = holders.find((h) => h.node.id === toNodeId);
    const original = holders.find((h) => h.node.id !== toNodeId);
    if (!original) {
      if (!target) throw new RuntimeError('moveVolume', name, 'no such volume on any node of the swarm', { statusCode: 404 });
      // Moved before, and the original is gone already: the volume is where it was asked to be.
      return { from: target.labels[MOVED_FROM_LABEL] ?? toNodeId, files: 0, bytes: 0, skipped: [] };
    }
    if (holders.length > 2) throw new RuntimeError('moveVolume', name, 'is on more than two nodes', { statusCode: 409 });
    const [source, destination] = [await this.nodes.engine(original.node.id), await this.nodes.engine(toNodeId)];
    const destinationNode = (await this.nodes.list()).find((n) => n.id === toNodeId);
    if (destinationNode?.state !== 'ready')
      throw new RuntimeError('moveVolume', name, `node ${toNodeId} is not ready`, { statusCode: 503 });
    // A copy left by an earlier attempt may be partial, or unseeded (a crash between create and seed): made again.
    if (target) {
      this.homes.forget(name);
      await destination.removeVolume(name);
    }
    const labels = { ...original.labels, [NODE_LABEL]: toNodeId, [MOVED_FROM_LABEL]: original.node.id };
    const dir = await mkdtemp(join(tmpdir(), 'saas-swarm-move-'));
    try {
      const exported = await source.exportVolumeDir(name, '/', join(dir, 'tree'), seed.image);
      await destination.ensureVolume(name, labels, seed);
      const result: VolumeMoveResult = { from: original.node.id, files: 0, bytes: 0, skipped: [...exported.skipped] };
      // importVolumeDir replaces a directory, never the volume's root: each top-level directory in turn.
      for (const entry of await readdir(join(dir, 'tree'), { withFileTypes: true })) {
        if (!entry.isDirectory()) {
          result.skipped.push(entry.name);
          continue;
        }
        const copied = await destination.importVolumeDir(name, entry.name, join(dir, 'tree', entry.name), seed.image);
        result.files += copied.files;
        result.bytes += copied.bytes;
      }
      this.homes.settle(name, toNodeId);
      return result;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Failover: the volume of a lost node made anew on `toNodeId`, labelled as moved from it, so that it stays the
   * volume when the lost node returns with its stale copy. A copy left there by an earlier attempt is made again
   * (it may be partial); the caller fills it (from a backup).
   */
  async replaceLost(
    name: string,
    toNodeId: string,
    lostNodeId: string,
    labels: Labels,
    seed: { image: string; path: string },
  ): Promise<void> {
    const nodes = await this.nodes.list();
    const lost = nodes.find((n) => n.id === lostNodeId);
    if (lost?.state === 'ready')
      throw new RuntimeError('replaceLostVolume', name, `node ${lost.name} is ready again: its copy is the volume`, { statusCode: 409 });
    if (nodes.find((n) => n.id === toNodeId)?.state !== 'ready')
      throw new RuntimeError('replaceLostVolume', name, `node ${toNodeId} is not ready`, { statusCode: 503 });
    const { holders } = await this.homes.locate(name);
    const elsewhere = holders.find((h) => h.node.id !== toNodeId && h.node.id !== lostNodeId);
    if (elsewhere)
      throw new RuntimeError('replaceLostVolume', name, `is on node ${elsewhere.node.name}, which answers`, { statusCode: 409 });
    const destination = await this.nodes.engine(toNodeId);
    this.homes.forget(name);
    if (holders.some((h) => h.node.id === toNodeId)) await destination.removeVolume(name);
    await destination.ensureVolume(name, { ...labels, [NODE_LABEL]: toNodeId, [MOVED_FROM_LABEL]: lostNodeId }, seed);
    this.homes.settle(name, toNodeId);
  }

  /** The copy on `nodeId`, with the ended task containers that still mount it there; never the only copy. */
  async removeCopy(name: string, nodeId: string): Promise<void> {
    const { holders, silent } = await this.homes.locate(name);
    if (!holders.some((h) => h.node.id === nodeId)) {
      if (silent.some((n) => n.id === nodeId))
        throw new RuntimeError('removeVolumeCopy', name, `node ${nodeId} does not answer`, { statusCode: 503 });
      return;
    }
    if (holders.length === 1) throw new RuntimeError('removeVolumeCopy', name, 'is the only copy of the volume', { statusCode: 409 });
    const engine = await this.nodes.engine(nodeId);
    const users = await engineCall('removeVolumeCopy', name, () =>
      engine.docker.listContainers({ all: true, filters: { volume: [name] } }),
    );
    for (const c of users) {
      if (c.State === 'running')
        throw new RuntimeError('removeVolumeCopy', name, `is in use by ${c.Names[0] ?? c.Id}`, { statusCode: 409 });
      await engineCall('removeVolumeCopy', name, () => tolerate(engine.docker.getContainer(c.Id).remove(REMOVE), [404]));
    }
    this.homes.forget(name);
    await engine.removeVolume(name);
  }
}

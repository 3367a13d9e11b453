import { eq } from 'drizzle-orm';
import type { Queues } from '../jobs/queues.js';
import { type EgressPolicy, type EgressStatePublisher, enforceEgressPolicy } from '../runtime/egress-policy.js';
import { VOLUME_SEED_ROLE } from '../runtime/instance-runtime.js';
import { NodeLossWatch } from '../system/node-loss.js';
import { ensureServerContainer, type InstanceOpsDeps, networkSpecFor, wantsRunning } from './instance-context.js';
import { enqueueInstanceJob, enqueueMoveJob } from './instance-jobs.js';
import { tryInstanceLock } from './instance-locks.js';
import { InstanceMovesRepository } from './instance-moves.repo.js';
import { instanceNames, LABELS } from './instance-names.js';
import { checkStorage, STORAGE_CHECK_EVERY_MS } from './instance-storage.js';
import { InstancesRepository } from './instances.repo.js';
import { reconcileRuns } from './instances.tables.js';

export interface Finding {
  kind:
    | 'container_missing'
    | 'container_down'
    | 'container_should_be_stopped'
    | 'volume_missing'
    | 'repair_failed'
    | 'orphan_container'
    | 'orphan_volume'
    | 'stuck_operation'
    | 'storage_limit'
    | 'egress_rules_missing'
    | 'node_lost'
    | 'node_failover_retried'
    | 'node_returned';
  target: string;
  action: string;
  detail?: string;
}

/**
 * Compares what PostgreSQL says should exist with what the engine runs, and repairs drift:
 * containers removed, stopped or crashed behind the platform's back come back; containers with
 * our labels that no instance owns are removed after a grace period; operations whose job was
 * lost (the queue and the database disagree) are queued again.
 */
export class Reconciler {
  private readonly nodeLoss: NodeLossWatch;

  constructor(
    private readonly deps: InstanceOpsDeps,
    private readonly queues: Queues,
    /** Re-installed on every run: dockerd re-creates its DOCKER-USER chain, empty, when it restarts. */
    private readonly egress?: EgressPolicy,
    /** Where each run's result per node goes (the admin's Nodes page). */
    private readonly egressStates?: EgressStatePublisher,
  ) {
    this.nodeLoss = new NodeLossWatch({ db: deps.database.db, runtime: deps.runtime, config: deps.config, queues, log: deps.log });
  }

  async run(): Promise<Finding[]> {
    const db = this.deps.database.db;
    const [record] = await db.insert(reconcileRuns).values({}).returning({ id: reconcileRuns.id });
    const findings: Finding[] = [];
    let error: string | null = null;
    try {
      findings.push(...(await this.repairEgress()));
      await this.watchNodes(findings);
      await this.repairInstances(findings);
      await this.removeOrphans(findings);
      await this.removeDeletedVolumes(findings);
      await this.requeueStuck(findings);
      await this.watchStorage(findings);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      this.deps.log.error({ err: error }, 'reconcile run failed');
    }
    if (record) await db.update(reconcileRuns).set({ findings, error, finishedAt: new Date() }).where(eq(reconcileRuns.id, record.id));
    if (findings.length) this.deps.log.info({ findings }, 'reconciler repaired drift');
    return findings;
  }

  /** The instance networks' firewall rules, put back when they vanished (part of every run); each node's state published. */
  async repairEgress(): Promise<Finding[]> {
    if (!this.egress) return [];
    const result = await enforceEgressPolicy(this.egress, this.deps.log, this.egressStates);
    return result.applied && result.changed
      ? [{ kind: 'egress_rules_missing', target: this.deps.config.instanceSubnetPool, action: 'restored' }]
      : [];
  }

  /**
   * Swarm nodes down past the grace period: their instances fail over (node-loss.ts), once per loss, and the blocked
   * ones once a node has room; nodes back get the stale copies of their failed-over volumes removed.
   */
  private async watchNodes(findings: Finding[]) {
    try {
      for (const seen of await this.nodeLoss.check()) {
        if (seen.kind === 'lost')
          findings.push({
            kind: 'node_lost',
            target: seen.nodeId,
            action: `failover: ${seen.moves} queued, ${seen.blocked} blocked`,
            detail: `${seen.nodeName} down since ${seen.lostAt}`,
          });
        else if (seen.kind === 'retried')
          findings.push({
            kind: 'node_failover_retried',
            target: seen.nodeId,
            action: `failover: ${seen.moves} blocked queued`,
            detail: `${seen.nodeName} down since ${seen.lostAt}; a node has room now`,
          });
        else
          findings.push({
            kind: 'node_returned',
            target: seen.nodeId,
            action: `removed ${seen.removed} stale volume copies`,
            detail: seen.failed.length ? `not removed yet: ${seen.failed.join('; ').slice(0, 500)}` : `${seen.nodeName} is back`,
          });
      }
    } catch (err) {
      // The swarm's managers away must not keep the instances from being looked at.
      findings.push({ kind: 'repair_failed', target: 'nodes', action: 'none', detail: err instanceof Error ? err.message : String(err) });
    }
  }

  private async repairInstances(findings: Finding[]) {
    const { database } = this.deps;
    const repo = new InstancesRepository(database.db);
    for (const listed of await repo.listSettled()) {
      // One instance that cannot be repaired must not stop the others from being looked at.
      try {
        // An instance someone is working on right now is left to that operation.
        await tryInstanceLock(database.pool, listed.id, () => this.repairInstance(listed.id, findings));
      } catch (err) {
        findings.push({
          kind: 'repair_failed',
          target: listed.id,
          action: 'none',
          detail: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }

  private async repairInstance(id: string, findings: Finding[]) {
    const { runtime, config } = this.deps;
    const instance = await new InstancesRepository(this.deps.database.db).findById(id);
    if (!instance || !['running', 'stopped'].includes(instance.status)) return;
    // Between two attempts of a move (a crashed worker) its Odoo is stopped on purpose: the move resumes it.
    if (await new InstanceMovesRepository(this.deps.database.db).liveFor(instance.id)) return;
    const names = instanceNames(config.resourcePrefix, instance.id);
    const container = await runtime.inspectContainer(names.container);
    // A suspended tenant's instance is never brought back: the converge job is stopping it.
    const wantRunning = instance.status === 'running' && wantsRunning(instance);
    const broken = wantRunning && (!container || (container.state !== 'running' && container.state !== 'restarting'));
    if (broken) {
      // The data volume is the instance's filestore: never replace it with an empty one behind the owner's back.
      if (!(await runtime.volumeExists(names.volume))) {
        findings.push({
          kind: 'volume_missing',
          target: instance.id,
          action: 'reported',
          detail: `volume ${names.volume} is gone; restore from a backup`,
        });
        return;
      }
      await runtime.ensureNetwork(networkSpecFor(config, instance));
      await ensureServerContainer(this.deps, instance);
      findings.push(
        container
          ? { kind: 'container_down', target: instance.id, action: 'started', detail: `was ${container.state}, exit ${container.exitCode}` }
          : { kind: 'container_missing', target: instance.id, action: 'recreated' },
      );
    } else if (instance.status === 'stopped' && container?.state === 'running') {
      await runtime.stopContainer(names.container);
      findings.push({ kind: 'container_should_be_stopped', target: instance.id, action: 'stopped' });
    }
  }

  private async removeOrphans(findings: Finding[]) {
    const { runtime, database, config } = this.deps;
    const live = new Set((await new InstancesRepository(database.db).listLive()).map((i) => i.id));
    const containers = await runtime.listManagedContainers({ [LABELS.managed]: 'true', [LABELS.platform]: config.resourcePrefix });
    for (const container of containers) {
      const owner = container.labels[LABELS.instance];
      // A volume's seeding helper outliving its creation was left by a crash: orphaned whoever owns the volume.
      const leftHelper = container.labels[LABELS.role] === VOLUME_SEED_ROLE;
      if (!leftHelper && (!owner || live.has(owner))) continue;
      const ageSeconds = container.createdAt ? (Date.now() - Date.parse(container.createdAt)) / 1000 : Number.POSITIVE_INFINITY;
      if (ageSeconds < config.orphanGraceSeconds) {
        findings.push({
          kind: 'orphan_container',
          target: container.name,
          action: 'reported',
          detail: `${leftHelper ? 'volume seed helper' : `no live instance ${owner}`}; removal after grace period`,
        });
        continue;
      }
      await runtime.removeContainer(container.name);
      const detail = leftHelper ? 'volume seed helper left by a crash' : `no live instance ${owner}`;
      findings.push({ kind: 'orphan_container', target: container.name, action: 'removed', detail });
    }
  }

  /**
   * The volumes of deleted instances, wherever they are: a deletion removes the volume on the node that answers for
   * it, so a copy on a node away at the time (down, or cut off) outlives its instance. Seen once its node answers
   * again, it is removed then. Only an instance recorded as deleted loses its volume: its deletion has finished.
   */
  private async removeDeletedVolumes(findings: Finding[]) {
    const { runtime, database, config } = this.deps;
    const volumes = await runtime.listVolumes({ [LABELS.managed]: 'true', [LABELS.platform]: config.resourcePrefix });
    const owners = [...new Set(volumes.flatMap((v) => v.labels[LABELS.instance] ?? []))];
    const deleted = new Set(await new InstancesRepository(database.db).deletedAmong(owners));
    for (const volume of volumes) {
      const owner = volume.labels[LABELS.instance];
      if (!owner || !deleted.has(owner)) continue;
      const where = volume.nodeId ? ` on node ${volume.nodeId}` : '';
      try {
        await runtime.removeVolume(volume.name);
        findings.push({ kind: 'orphan_volume', target: volume.name, action: 'removed', detail: `instance ${owner} is deleted${where}` });
      } catch (err) {
        // Mounted by a container not gone yet (its node's engine catching up): the next pass tries again.
        const reason = err instanceof Error ? err.message : String(err);
        findings.push({
          kind: 'orphan_volume',
          target: volume.name,
          action: 'reported',
          detail: `instance ${owner} is deleted${where}; ${reason}`,
        });
      }
    }
  }

  private storageCheckedAt = 0;

  /** Storage against the plan, measured every STORAGE_CHECK_EVERY_MS (or when `force`d): each crossing is recorded once. */
  async watchStorage(findings: Finding[], force = false) {
    if (!force && Date.now() - this.storageCheckedAt < STORAGE_CHECK_EVERY_MS) return;
    this.storageCheckedAt = Date.now();
    for (const c of await checkStorage({ ...this.deps, db: this.deps.database.db })) {
      findings.push({
        kind: 'storage_limit',
        target: c.instanceId,
        action: c.mailed > 0 ? `recorded storage_${c.to}, mailed ${c.mailed} owner(s)` : `recorded storage_${c.to}`,
        detail: `${c.usage.usedBytes} of ${c.usage.limitBytes} bytes (was ${c.from})`,
      });
    }
  }

  /** Unfinished operations with no job in the queue: queue them again (the job picks up where the workflow stopped). */
  private async requeueStuck(findings: Finding[]) {
    const repo = new InstancesRepository(this.deps.database.db);
    for (const instance of await repo.listUnfinished()) {
      const action = instance.status === 'deleting' ? 'delete' : 'provision';
      const jobId = `${action}-${instance.id}`;
      const job = await this.queues.instances.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children')
        continue;
      // Young instances may simply not have been picked up yet.
      if (Date.now() - instance.updatedAt.getTime() < 15_000) continue;
      if (job && state === 'failed') await job.retry('failed');
      else {
        if (job) await job.remove().catch(() => undefined);
        await enqueueInstanceJob(this.queues, instance.id, action, null);
      }
      findings.push({ kind: 'stuck_operation', target: instance.id, action: `requeued ${action}`, detail: `job state was ${state}` });
    }
    // Moves between nodes: their own jobs (`move-<id>`), resumed from their last finished step.
    for (const move of await new InstanceMovesRepository(this.deps.database.db).live()) {
      const job = await this.queues.instances.getJob(`move-${move.id}`);
      const state = job ? await job.getState() : 'missing';
      if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children')
        continue;
      if (Date.now() - move.createdAt.getTime() < 15_000) continue;
      if (job && state === 'failed') await job.retry('failed');
      else {
        if (job) await job.remove().catch(() => undefined);
        await enqueueMoveJob(this.queues, move);
      }
      findings.push({ kind: 'stuck_operation', target: move.instanceId, action: 'requeued move', detail: `job state was ${state}` });
    }
  }
}

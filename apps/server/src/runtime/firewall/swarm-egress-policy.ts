import type { DockerRuntime } from '../docker/docker-runtime.js';
import { MANAGED_LABEL } from '../docker/docker-spec.js';
import type { EgressPolicy, EgressResult, EgressScope, NodeEgressState } from '../egress-policy.js';
import type { RuntimeNode } from '../instance-runtime.js';
import { type NftCommand, NftEgressPolicy } from './nft-egress-policy.js';

/** The bridge a swarm task leaves its overlay by: the instances' only way to the node and beyond. */
export const SWARM_EGRESS_BRIDGE = 'docker_gwbridge';

/** Where the policy's nodes come from: the swarm driver's ready nodes with their engines (`SwarmNodes`). */
export interface SwarmEgressNodes {
  readyEngines(): Promise<{ node: RuntimeNode; engine: DockerRuntime }[]>;
}

/** Swarm's label on the containers of a service's tasks. */
const SERVICE_LABEL = 'com.docker.swarm.service.name';

/** `nft` run through a node's engine: the script goes as one argument, which nft reads as one transaction. */
function nodeNft(engine: DockerRuntime, image: string, node: string): NftCommand {
  return {
    label: [`nft (on ${node})`],
    run: (args) => engine.runNodeFirewallCommand(image, args),
    load: (script) => engine.runNodeFirewallCommand(image, [script]),
  };
}

/**
 * The instances' egress policy on every ready node of a swarm, applied through each node's own engine: a
 * short-lived container of `image` (its `nft`) in the node's network namespace with CAP_NET_ADMIN only
 * loads the same nftables table as on one host, matching what comes in by `docker_gwbridge` instead of the
 * pool's source addresses (nft-egress-rules.ts). Each apply visits every ready node, so a node that joined
 * (or came back from a reboot with an empty ruleset) gets its table at the next pass. A node whose table is
 * in place costs one `nft list` there.
 *
 * Everything that leaves a node's containers by `docker_gwbridge` is fenced in, whatever service it belongs
 * to: a node that runs tasks of other services than the platform's instances (the platform's own stack) is
 * left without the policy and reported, rather than cutting those services off from the private network.
 */
export class SwarmEgressPolicy implements EgressPolicy {
  private states: NodeEgressState[] = [];

  constructor(
    private readonly nodes: SwarmEgressNodes,
    private readonly image: string,
    private readonly scope: () => Promise<EgressScope>,
    private readonly pull = false,
  ) {}

  /** Each ready node's state after the last apply (published for the admin's Nodes page; empty when it could not start). */
  nodeStates(): readonly NodeEgressState[] {
    return this.states;
  }

  async apply(): Promise<EgressResult> {
    // Nothing from an earlier apply passes for this one's: a node not visited now reports nothing.
    this.states = [];
    const scope = { ...(await this.scope()), bridge: SWARM_EGRESS_BRIDGE };
    const ready = await this.nodes.readyEngines();
    if (ready.length === 0) return { applied: false, reason: 'no ready swarm node with an engine endpoint' };
    this.states = await Promise.all(ready.map(({ node, engine }) => this.applyOn(node, engine, scope)));
    const failed = this.states.filter((s) => !s.applied);
    if (failed.length > 0) return { applied: false, reason: failed.map((s) => `${s.node}: ${s.reason}`).join('; ') };
    return { applied: true, changed: this.states.some((s) => s.changed) };
  }

  async remove(): Promise<void> {
    const scope = { ...(await this.scope()), bridge: SWARM_EGRESS_BRIDGE };
    for (const { node, engine } of await this.nodes.readyEngines()) {
      await new NftEgressPolicy(scope, nodeNft(engine, this.image, node.name)).remove();
    }
  }

  private async applyOn({ id: nodeId, name: node }: RuntimeNode, engine: DockerRuntime, scope: EgressScope): Promise<NodeEgressState> {
    try {
      const others = await otherServices(engine);
      if (others.length > 0) {
        return {
          node,
          nodeId,
          applied: false,
          changed: false,
          skipped: true,
          reason: `runs tasks of other services (${others.join(', ')}), which the policy would fence in too: keep instance nodes for instances`,
        };
      }
      await engine.ensureImage(this.image, { pull: this.pull });
      const result = await new NftEgressPolicy(scope, nodeNft(engine, this.image, node)).apply();
      return result.applied
        ? { node, nodeId, applied: true, changed: result.changed }
        : { node, nodeId, applied: false, changed: false, reason: result.reason };
    } catch (err) {
      return { node, nodeId, applied: false, changed: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }
}

/** The services of running tasks on the node that are not the platform's (its instances carry `saas.managed`). */
async function otherServices(engine: DockerRuntime): Promise<string[]> {
  const containers = await engine.docker.listContainers({ filters: { label: [SERVICE_LABEL], status: ['running'] } });
  const names = containers.filter((c) => c.Labels[MANAGED_LABEL] !== 'true').map((c) => c.Labels[SERVICE_LABEL] ?? c.Id);
  return [...new Set(names)].sort();
}

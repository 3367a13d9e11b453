import type { Config } from '../../config/config.js';
import { type EgressPolicy, egressScopeFor, NoEgressPolicy } from '../egress-policy.js';
import type { InstanceRuntime } from '../instance-runtime.js';
import { SwarmRuntime } from '../swarm/swarm-runtime.js';
import { NftEgressPolicy } from './nft-egress-policy.js';
import { SwarmEgressPolicy } from './swarm-egress-policy.js';

/**
 * The platform's egress policy: a nftables table for its INSTANCE_SUBNET_POOL on this machine, the same table on
 * every node of a swarm (INSTANCE_RUNTIME=swarm, through each node's engine), or none with EGRESS_POLICY=off.
 */
export function createEgressPolicy(config: Config, runtime?: InstanceRuntime): EgressPolicy {
  if (!config.egressPolicy) return new NoEgressPolicy('EGRESS_POLICY=off');
  // The scope is read at each apply: the host's resolvers may change while the worker runs.
  const scope = () =>
    egressScopeFor({
      resourcePrefix: config.resourcePrefix,
      instanceSubnetPool: config.instanceSubnetPool,
      tenantDbHost: config.tenantDbHost,
      tenantDbPort: config.tenantDbPort,
      edgePorts: config.edge.tls ? [config.edge.httpPort, config.edge.httpsPort] : [config.edge.httpPort],
    });
  if (config.runtime.driver === 'swarm') {
    if (!(runtime instanceof SwarmRuntime)) return new NoEgressPolicy('no swarm runtime');
    return new SwarmEgressPolicy(runtime.nodes, config.runtime.egressImage, scope, config.imagePull);
  }
  return new NftEgressPolicy(scope);
}

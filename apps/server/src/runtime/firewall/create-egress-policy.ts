import type { Config } from '../../config/config.js';
import { type EgressPolicy, egressScopeFor, NoEgressPolicy } from '../egress-policy.js';
import { NftEgressPolicy } from './nft-egress-policy.js';

/** The platform's egress policy: a nftables table for its INSTANCE_SUBNET_POOL, or none with EGRESS_POLICY=off. */
export function createEgressPolicy(config: Config): EgressPolicy {
  if (!config.egressPolicy) return new NoEgressPolicy('EGRESS_POLICY=off');
  // The scope is read at each apply: the host's resolvers may change while the worker runs.
  return new NftEgressPolicy(() =>
    egressScopeFor({
      resourcePrefix: config.resourcePrefix,
      instanceSubnetPool: config.instanceSubnetPool,
      tenantDbHost: config.tenantDbHost,
      tenantDbPort: config.tenantDbPort,
      edgePorts: config.edge.tls ? [config.edge.httpPort, config.edge.httpsPort] : [config.edge.httpPort],
    }),
  );
}

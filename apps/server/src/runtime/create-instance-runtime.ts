import type Docker from 'dockerode';
import type { Config } from '../config/config.js';
import type { EngineAddress } from '../config/runtime-env.js';
import { DockerRuntime } from './docker/docker-runtime.js';
import type { InstanceRuntime } from './instance-runtime.js';
import { SwarmRuntime } from './swarm/swarm-runtime.js';

const dockerOptions = (address: EngineAddress): Docker.DockerOptions => ({ ...address });

/** The engine instances run on, as INSTANCE_RUNTIME says: this machine's Docker engine, or a Docker Swarm. */
export function createInstanceRuntime(config: Pick<Config, 'dockerSocket' | 'runtime'>): InstanceRuntime {
  const runtime = config.runtime;
  if (runtime.driver === 'docker') return new DockerRuntime({ socketPath: config.dockerSocket });
  return new SwarmRuntime({
    manager: dockerOptions(runtime.manager),
    nodeEngines: Object.fromEntries(Object.entries(runtime.nodeEngines).map(([name, address]) => [name, dockerOptions(address)])),
  });
}

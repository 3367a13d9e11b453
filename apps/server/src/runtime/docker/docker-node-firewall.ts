import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { engineCall, tolerate } from './docker-errors.js';
import { MANAGED_LABEL, REMOVE, ROLE_LABEL } from './docker-spec.js';
import { demultiplex } from './docker-streams.js';

/** What a firewall command printed and how it ended. */
export interface NodeCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROLE = 'node-firewall';
const OUTPUT_LIMIT = 1024 * 1024;

/**
 * Runs the image's firewall tool (its `nft` binary, given as `entrypoint`) in the engine's own network
 * namespace: `network_mode: host`, as root of the container with `CAP_NET_ADMIN` only, a read-only root
 * filesystem and no new privileges. The container is removed after it ends; one a crashed run left
 * behind is removed by the next run.
 */
export async function runNodeFirewallCommand(
  docker: Docker,
  command: { image: string; entrypoint: string; args: string[]; timeoutMs: number },
): Promise<NodeCommandResult> {
  const step = <T>(call: () => Promise<T>) => engineCall('nodeFirewall', command.image, call);
  const leftovers = await step(() =>
    docker.listContainers({
      all: true,
      filters: { label: [`${MANAGED_LABEL}=true`, `${ROLE_LABEL}=${ROLE}`], status: ['exited', 'created', 'dead'] },
    }),
  );
  for (const old of leftovers) await step(() => tolerate(docker.getContainer(old.Id).remove(REMOVE), [404, 409]));

  const container = await step(() =>
    docker.createContainer({
      name: `saas-node-firewall-${randomBytes(6).toString('hex')}`,
      Image: command.image,
      Entrypoint: [command.entrypoint],
      Cmd: command.args,
      User: '0:0',
      Labels: { [MANAGED_LABEL]: 'true', [ROLE_LABEL]: ROLE },
      HostConfig: {
        NetworkMode: 'host',
        CapDrop: ['ALL'],
        CapAdd: ['NET_ADMIN'],
        ReadonlyRootfs: true,
        SecurityOpt: ['no-new-privileges'],
        Memory: 64 * 1024 * 1024,
        PidsLimit: 32,
        LogConfig: { Type: 'json-file', Config: {} },
      },
    }),
  );
  try {
    await step(() => container.start());
    const ended = (container.wait() as Promise<{ StatusCode: number }>).then((r) => r.StatusCode);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), command.timeoutMs);
    });
    const code = await engineCall(
      'nodeFirewall',
      command.image,
      () => Promise.race([ended, timeout]),
      [],
      command.timeoutMs + 10_000,
    ).finally(() => clearTimeout(timer));
    if (code === 'timeout') return { code: 124, stdout: '', stderr: `${command.entrypoint} did not finish within ${command.timeoutMs} ms` };
    const read = async (stream: 'stdout' | 'stderr') => {
      const raw: unknown = await step(() => container.logs({ stdout: stream === 'stdout', stderr: stream === 'stderr', follow: false }));
      return demultiplex(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw ?? '')))
        .subarray(0, OUTPUT_LIMIT)
        .toString('utf8');
    };
    return { code, stdout: await read('stdout'), stderr: await read('stderr') };
  } finally {
    await step(() => tolerate(container.remove(REMOVE), [404, 409])).catch(() => undefined);
  }
}

import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { type SwarmNodeInfo, serviceNodeId, toPlacementNodes, toRuntimeNode } from './swarm-nodes.js';
import { currentTask, type SwarmService, type SwarmTask, taskContainerName, taskProblem, toContainerInfo } from './swarm-tasks.js';

const service = (restart = 'any', more: Partial<SwarmService> = {}): SwarmService => ({
  ID: 'svc1',
  CreatedAt: '2026-01-01T00:00:00Z',
  Spec: {
    Name: 'saas-odoo-abc',
    Labels: { 'saas.spec-hash': 'h1', 'saas.swarm.node-id': 'n1' },
    TaskTemplate: { RestartPolicy: { Condition: restart } },
  },
  ...more,
});

let seq = 0;
function task(state: string, desired: string, more: Partial<SwarmTask['Status']> = {}): SwarmTask {
  seq++;
  return {
    ID: `t${seq}`,
    ServiceID: 'svc1',
    NodeID: 'n1',
    Slot: 1,
    CreatedAt: `2026-01-01T00:00:${String(seq).padStart(2, '0')}Z`,
    DesiredState: desired,
    Status: { State: state, Timestamp: `2026-01-01T00:01:${String(seq).padStart(2, '0')}Z`, ...more },
  };
}

describe('toContainerInfo', () => {
  it('a running task: running, its container id, its start, the failed tasks before it as restarts', () => {
    const failed = task('failed', 'shutdown', { ContainerStatus: { ContainerID: 'c0', ExitCode: 1 } });
    const running = task('running', 'running', { ContainerStatus: { ContainerID: 'c1' } });
    const info = toContainerInfo(service(), [running, failed]);
    expect(info).toEqual({
      id: 'c1',
      name: 'saas-odoo-abc',
      state: 'running',
      labels: { 'saas.spec-hash': 'h1', 'saas.swarm.node-id': 'n1' },
      specHash: 'h1',
      startedAt: running.Status.Timestamp,
      exitCode: null,
      restartCount: 1,
      createdAt: '2026-01-01T00:00:00Z',
      nodeId: 'n1',
    });
  });

  it('takes the start time from the container when its node answered', () => {
    const running = task('running', 'running', { ContainerStatus: { ContainerID: 'c1' } });
    const container = { State: { StartedAt: '2026-01-01T00:05:00.123Z' } } as Docker.ContainerInspectInfo;
    expect(toContainerInfo(service(), [running], container).startedAt).toBe('2026-01-01T00:05:00.123Z');
  });

  it('scaled to 0: exited, with the last exit code', () => {
    const stopped = task('shutdown', 'shutdown', { ContainerStatus: { ContainerID: 'c1', ExitCode: 0 } });
    const info = toContainerInfo(service(), [stopped]);
    expect(info).toMatchObject({ id: 'c1', state: 'exited', exitCode: 0, startedAt: null, restartCount: 0 });
    expect(toContainerInfo(service(), []).state).toBe('exited');
  });

  it('crashed and being replaced: restarting with the exit code; without a restart policy: exited', () => {
    const crashed = task('failed', 'running', { ContainerStatus: { ContainerID: 'c1', ExitCode: 3 }, Err: 'task: non-zero exit (3)' });
    expect(toContainerInfo(service(), [crashed])).toMatchObject({ state: 'restarting', exitCode: 3, restartCount: 1 });
    expect(toContainerInfo(service('none'), [crashed])).toMatchObject({ state: 'exited', exitCode: 3 });
    const next = task('preparing', 'running');
    expect(toContainerInfo(service(), [crashed, next])).toMatchObject({ state: 'restarting', exitCode: 3, id: next.ID });
  });

  it('a first task on its way: created', () => {
    expect(toContainerInfo(service(), [task('pending', 'running')]).state).toBe('created');
  });
});

describe('task helpers', () => {
  it('the current task is the newest meant to run, else the newest', () => {
    const old = task('shutdown', 'shutdown');
    const live = task('running', 'running');
    const newer = task('shutdown', 'shutdown');
    expect(currentTask([old, live, newer])?.ID).toBe(live.ID);
    expect(currentTask([old, newer])?.ID).toBe(newer.ID);
    expect(currentTask([])).toBeUndefined();
  });

  it('names the container as the engine does and explains a task that does not run', () => {
    const t = task('rejected', 'running', { Err: 'no suitable node (insufficient resources on 3 nodes)' });
    expect(taskContainerName('svc', t)).toBe(`svc.1.${t.ID}`);
    expect(taskProblem(t)).toContain('insufficient resources');
    expect(taskProblem(undefined)).toBe('no task was created');
  });
});

describe('nodes', () => {
  const info: SwarmNodeInfo = {
    ID: 'n1',
    Spec: { Role: 'manager', Availability: 'drain', Labels: { tier: 'gold' } },
    Description: { Hostname: 'lab-n1', Resources: { NanoCPUs: 2e9, MemoryBytes: 4 * 1073741824 }, Engine: { EngineVersion: '20.10' } },
    Status: { State: 'ready', Addr: '0.0.0.0' },
    ManagerStatus: { Addr: '10.0.0.11:2377' },
  };

  it('maps a swarm node, taking a manager’s advertise address when Status.Addr is 0.0.0.0', () => {
    expect(toRuntimeNode(info)).toEqual({
      id: 'n1',
      name: 'lab-n1',
      address: '10.0.0.11',
      role: 'manager',
      availability: 'drain',
      state: 'ready',
      capacity: { memoryMb: 4096, cpuMillis: 2000 },
      labels: { tier: 'gold' },
      engineVersion: '20.10',
      downSince: null,
    });
    expect(toRuntimeNode({ ID: 'n2', Status: { State: 'disconnected', Addr: '10.0.0.12' } })).toMatchObject({
      state: 'down',
      address: '10.0.0.12',
      role: 'worker',
      availability: 'active',
    });
  });

  it('counts the reservations of the services pinned to each node', () => {
    const pinned = (node: string, mb: number, byLabel: boolean): SwarmService => ({
      ID: `s-${node}-${mb}`,
      Spec: {
        Labels: byLabel ? { 'saas.swarm.node-id': node } : {},
        TaskTemplate: {
          Placement: { Constraints: [`node.id == ${node}`] },
          Resources: { Reservations: { MemoryBytes: mb * 1048576, NanoCPUs: 500_000_000 } },
        },
      },
    });
    const nodes = toPlacementNodes([toRuntimeNode(info)], [pinned('n1', 512, true), pinned('n1', 256, false), pinned('n9', 1024, true)]);
    expect(nodes[0]).toMatchObject({
      id: 'n1',
      reserved: { memoryMb: 768, cpuMillis: 1000 },
      instanceCount: 2,
      capacity: { memoryMb: 4096 },
    });
    expect(serviceNodeId(pinned('n3', 1, false))).toBe('n3');
  });
});

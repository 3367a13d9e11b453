import { Alert, Anchor, Badge, Code, Group, List, Paper, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { formatCpu, formatDateTime, formatMemory, PageTitle, QueryView } from '@saas/ui';
import { useState } from 'react';
import { Link } from 'react-router';
import { useIsPlatformAdmin } from '../app-layout';
import { INSTANCE_STATUS_LOOK } from '../instances/instance-status-badge';
import { badgeStyles } from '../shared/badge-styles';
import { ReadOnlyHint } from '../shared/read-only-hint';
import { StatusBadge, type StatusLook } from '../shared/status-badge';
import { ReasonButton } from '../users/reason-button';
import { LostNode, Moves } from './node-moves';
import { type DrainResultDto, type InstanceMoveDto, type NodeDto, type NodeInstanceDto, useDrainNode, useNodes } from './nodes.queries';

/** Past this share of a node's memory given to plans, new instances may not fit: shown in orange. */
const TIGHT = 0.85;

function Usage({ label, used, total, format }: { label: string; used: number; total: number; format: (n: number) => string }) {
  const share = total > 0 ? used / total : 0;
  return (
    <Stack gap={4}>
      <Group justify="space-between" gap="xs">
        <Text size="sm">{label}</Text>
        <Text size="sm" c="dimmed">
          {format(used)} of {format(total)} ({Math.round(share * 100)}%)
        </Text>
      </Group>
      <Progress value={Math.min(100, share * 100)} color={share > TIGHT ? 'orange' : 'teal'} aria-label={`${label} allocated`} />
    </Stack>
  );
}

function InstancesTable({ items, label }: { items: NodeInstanceDto[]; label: string }) {
  if (items.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No instances.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table striped aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Instance</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Memory</Table.Th>
            <Table.Th>CPU</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((i) => (
            <Table.Tr key={i.id}>
              <Table.Td>
                <Anchor component={Link} to={`/instances/${i.id}`} size="sm">
                  {i.slug}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <StatusBadge status={i.status} look={INSTANCE_STATUS_LOOK[i.status]} />
              </Table.Td>
              <Table.Td>{formatMemory(i.limits.memoryMb)}</Table.Td>
              <Table.Td>{formatCpu(i.limits.cpuMillis)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

const EGRESS_LOOK: Record<NodeDto['egress']['state'], StatusLook> = {
  applied: { color: 'teal', busy: false },
  failed: { color: 'red', busy: false },
  skipped: { color: 'orange', busy: false },
  off: { color: 'gray', busy: false },
  unknown: { color: 'gray', busy: false },
};

/**
 * The instances' egress policy on the node (docs/firewall.md), as the worker last applied it: its state, when it
 * was checked, and why it is not in place.
 */
function EgressPolicy({ node }: { node: NodeDto }) {
  const { state, reason, checkedAt } = node.egress;
  return (
    <Stack gap={2}>
      <Group gap="xs">
        <Text size="sm">Egress policy</Text>
        <StatusBadge status={state} look={EGRESS_LOOK[state]} />
        {checkedAt && (
          <Text size="xs" c="dimmed">
            checked {formatDateTime(checkedAt)}
          </Text>
        )}
      </Group>
      {reason && state !== 'applied' && (
        <Text size="xs" c={state === 'failed' ? 'red.9' : 'dimmed'}>
          {state === 'failed' ? 'Not applied: its instances can reach the host and private networks. ' : ''}
          {reason}
        </Text>
      )}
    </Stack>
  );
}

/** Empties a ready swarm node: admins only (the API answers 403 to support staff), with a reason and a confirmation. */
function DrainButton({ node, onDone }: { node: NodeDto; onDone: (result: DrainResultDto) => void }) {
  const isAdmin = useIsPlatformAdmin();
  const drain = useDrainNode();
  if (!isAdmin || node.role === 'standalone' || node.state !== 'ready' || node.availability === 'drain') return null;
  const count = node.instances.length;
  return (
    <ReasonButton
      color="orange"
      aria-label={`Drain ${node.name}`}
      title={`Drain ${node.name}`}
      message={`${node.name} will take no new instances, and its ${count} ${count === 1 ? 'instance is' : 'instances are'} moved one by one to other nodes with their files (each stops for the time its files take to copy). The database stays where it is.`}
      confirmLabel="Drain the node"
      onConfirm={async (reason) => onDone(await drain.mutateAsync({ nodeId: node.id, reason }))}
    >
      Drain
    </ReasonButton>
  );
}

function DrainOutcome({ result, nodeName }: { result: DrainResultDto; nodeName: string }) {
  return (
    <Alert color={result.leftovers.length ? 'orange' : 'teal'} title={`Draining ${nodeName}`} role="status">
      <Text size="sm">
        {result.moves.length} {result.moves.length === 1 ? 'move' : 'moves'} queued
        {result.moves.length ? `: ${result.moves.map((m) => `${m.slug ?? m.instanceId} → ${m.toNodeName}`).join(', ')}` : ''}.
        {result.availability === 'drain' ? ' The node is empty and drained.' : ' The node is drained once the last one is done.'}
      </Text>
      {result.leftovers.length > 0 && (
        <List size="sm" mt="xs">
          {result.leftovers.map((l) => (
            <List.Item key={l.instanceId}>
              {l.slug} stays: {l.reason}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}

function NodeCard({ node, failovers }: { node: NodeDto; failovers: InstanceMoveDto[] }) {
  const down = node.state === 'down';
  const [drained, setDrained] = useState<DrainResultDto | null>(null);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={`node-${node.id}`}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start">
          <Stack gap={0}>
            <Title order={2} size="h4" id={`node-${node.id}`}>
              {node.name}
            </Title>
            <Text size="xs" c="dimmed">
              {node.role === 'standalone' ? 'Single engine' : `Swarm ${node.role}`} · Docker {node.engineVersion}
              {node.address ? ` · ${node.address}` : ''}
            </Text>
          </Stack>
          <Group gap="xs">
            <DrainButton node={node} onDone={setDrained} />
            <Badge color={down ? 'red.9' : 'teal.9'} variant="filled" styles={badgeStyles}>
              {node.state}
            </Badge>
            {node.availability !== 'active' && (
              <Badge color="orange" c="orange.9" variant="light" styles={badgeStyles}>
                {node.availability}
              </Badge>
            )}
          </Group>
        </Group>
        <Usage label="Memory" used={node.allocated.memoryMb} total={node.capacity.memoryMb} format={formatMemory} />
        <Usage label="CPU" used={node.allocated.cpuMillis} total={node.capacity.cpuMillis} format={formatCpu} />
        <EgressPolicy node={node} />
        {Object.keys(node.labels).length > 0 && (
          <Group gap={4}>
            {Object.entries(node.labels).map(([k, v]) => (
              <Code key={k}>
                {k}={v}
              </Code>
            ))}
          </Group>
        )}
        {down && <LostNode node={node} failovers={failovers} />}
        {drained && <DrainOutcome result={drained} nodeName={node.name} />}
        <InstancesTable items={node.instances} label={`Instances on ${node.name}`} />
      </Stack>
    </Paper>
  );
}

/** How to add capacity: where the platform runs on one engine, the way to a swarm; on a swarm, joining a node. */
function AddNode({ standalone }: { standalone: boolean }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="add-node-heading">
      <Title order={2} size="h4" id="add-node-heading" mb="xs">
        Adding a node
      </Title>
      {standalone ? (
        <Text size="sm">
          This platform runs its instances on one Docker engine, so its capacity is this machine&apos;s: more memory or CPUs here are more
          room for instances. Spreading instances over several machines takes a Docker Swarm.
        </Text>
      ) : (
        <Stack gap="xs">
          <Text size="sm">1. On a manager, print the command a new machine runs to join as a worker:</Text>
          <Code block>docker swarm join-token worker</Code>
          <Text size="sm">
            Run the printed <Code>docker swarm join …</Code> on the new machine (Docker installed, ports 2377/tcp, 7946/tcp+udp and 4789/udp
            open to the other nodes only).
          </Text>
          <Text size="sm">
            2. Put the Odoo images and <Code>saas-node-firewall</Code> (the egress policy&apos;s image) on it, or let it pull them:
          </Text>
          <Code block>{'docker save <image>… | docker -H <new node> load'}</Code>
          <Text size="sm">
            3. Add it to <Code>SWARM_NODE_ENGINES</Code> (its hostname and its engine&apos;s endpoint, mutual TLS) and restart the API and
            the worker. It takes new instances from then on, and gets the egress policy at the worker&apos;s next run; existing instances
            stay where they are.
          </Text>
        </Stack>
      )}
    </Paper>
  );
}

/** The machines instances run on: capacity, what the plans of their instances take of it, and the instances. */
export function NodesPage() {
  const nodes = useNodes();
  return (
    <>
      <PageTitle>Nodes</PageTitle>
      <QueryView query={nodes} loadingLabel="Loading nodes…" keepDataOnError empty={null} isEmpty={() => false}>
        {(data) => (
          <Stack gap="lg">
            <ReadOnlyHint />
            <Text size="sm" c="dimmed">
              Allocated is what the plans of the instances running on a node may use (their limits); a stopped instance holds nothing. The
              egress policy keeps a node&apos;s instances away from the host and the private networks; the worker checks it on every node at
              each reconciler run.
            </Text>
            <SimpleGrid cols={{ base: 1, lg: 2 }}>
              {data.nodes.map((n) => (
                <NodeCard
                  key={n.id}
                  node={n}
                  failovers={data.moves.filter(
                    (m) => m.kind === 'failover' && m.fromNodeId === n.id && (!n.downSince || m.lostAt === n.downSince),
                  )}
                />
              ))}
            </SimpleGrid>
            {data.unplaced.length > 0 && (
              <Paper withBorder p="md" component="section" aria-labelledby="unplaced-heading">
                <Title order={2} size="h4" id="unplaced-heading" mb="xs">
                  Without a container
                </Title>
                <Text size="sm" c="dimmed" mb="xs">
                  Pending, failed or being created: no node holds them yet.
                </Text>
                <InstancesTable items={data.unplaced} label="Instances without a container" />
              </Paper>
            )}
            <Moves moves={data.moves} />
            <AddNode standalone={data.nodes.every((n) => n.role === 'standalone')} />
          </Stack>
        )}
      </QueryView>
    </>
  );
}

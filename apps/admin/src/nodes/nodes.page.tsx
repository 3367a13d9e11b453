import { Anchor, Badge, Code, Group, Paper, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { formatCpu, formatMemory, PageTitle, QueryView } from '@saas/ui';
import { Link } from 'react-router';
import { INSTANCE_STATUS_LOOK } from '../instances/instance-status-badge';
import { badgeStyles } from '../shared/badge-styles';
import { StatusBadge } from '../shared/status-badge';
import { type NodeDto, type NodeInstanceDto, useNodes } from './nodes.queries';

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

function NodeCard({ node }: { node: NodeDto }) {
  const down = node.state === 'down';
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
        {Object.keys(node.labels).length > 0 && (
          <Group gap={4}>
            {Object.entries(node.labels).map(([k, v]) => (
              <Code key={k}>
                {k}={v}
              </Code>
            ))}
          </Group>
        )}
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
          <Text size="sm">On a manager, print the command a new machine runs to join as a worker:</Text>
          <Code block>docker swarm join-token worker</Code>
          <Text size="sm">
            Run the printed <Code>docker swarm join …</Code> on the new machine (Docker installed, ports 2377/tcp, 7946/tcp+udp and 4789/udp
            open to the other nodes). It takes new instances as soon as it is Ready; existing ones stay where they are.
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
            <Text size="sm" c="dimmed">
              Allocated is what the plans of the instances running on a node may use (their limits); a stopped instance holds nothing.
            </Text>
            <SimpleGrid cols={{ base: 1, lg: 2 }}>
              {data.nodes.map((n) => (
                <NodeCard key={n.id} node={n} />
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
            <AddNode standalone={data.nodes.every((n) => n.role === 'standalone')} />
          </Stack>
        )}
      </QueryView>
    </>
  );
}

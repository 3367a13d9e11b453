import { Alert, Anchor, Badge, Paper, Table, Text, Title } from '@mantine/core';
import { formatDateTime } from '@saas/ui';
import { Link } from 'react-router';
import { badgeStyles } from '../shared/badge-styles';
import type { InstanceMoveDto, NodeDto } from './nodes.queries';

/** Moves between nodes: a lost node's failover on its card, and the latest moves under the nodes. */

const MOVE_LOOK: Record<InstanceMoveDto['status'], string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'teal',
  failed: 'red',
  blocked: 'orange',
};

/**
 * A node that is down: since when, and the failover of its instances once it is declared lost — each instance's
 * new node, the backup its files came back from, the files lost (RPO) and how far it got.
 */
export function LostNode({ node, failovers }: { node: NodeDto; failovers: InstanceMoveDto[] }) {
  return (
    <Alert color="red" title={`Down since ${formatDateTime(node.downSince)}`} role="status">
      {failovers.length === 0 ? (
        <Text size="sm">
          {node.instances.length === 0
            ? 'No instances to bring back.'
            : 'Past the grace period its instances come back on other nodes from their latest backups (their databases lose nothing).'}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table aria-label={`Failover of ${node.name}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Instance</Table.Th>
                <Table.Th>To</Table.Th>
                <Table.Th>Backup used</Table.Th>
                <Table.Th>Files lost (RPO)</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {failovers.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>
                    <MovedInstance move={m} />
                  </Table.Td>
                  <Table.Td>{m.toNodeName || '—'}</Table.Td>
                  <Table.Td>{formatDateTime(m.backupAt)}</Table.Td>
                  <Table.Td>{m.rpoSeconds === null ? '—' : formatRpo(m.rpoSeconds)}</Table.Td>
                  <Table.Td>
                    <MoveStatus move={m} />
                    {m.error && (
                      <Text size="xs" c="dimmed">
                        {m.error}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Alert>
  );
}

function MovedInstance({ move }: { move: InstanceMoveDto }) {
  return (
    <Anchor component={Link} to={`/instances/${move.instanceId}`} size="sm">
      {move.slug ?? move.instanceId}
    </Anchor>
  );
}

function MoveStatus({ move }: { move: InstanceMoveDto }) {
  return (
    <Badge color={MOVE_LOOK[move.status]} variant="light" styles={badgeStyles} title={move.error ?? undefined}>
      {move.status}
    </Badge>
  );
}

function formatRpo(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The latest moves between nodes; a failover shows its RPO, the data lost since the backup it came back from. */
export function Moves({ moves }: { moves: InstanceMoveDto[] }) {
  if (moves.length === 0) return null;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="moves-heading">
      <Title order={2} size="h4" id="moves-heading" mb="xs">
        Moves
      </Title>
      <Table.ScrollContainer minWidth={640}>
        <Table striped aria-label="Moves between nodes">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Instance</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>From → to</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Data lost (RPO)</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {moves.map((m) => (
              <Table.Tr key={m.id}>
                <Table.Td>
                  <MovedInstance move={m} />
                </Table.Td>
                <Table.Td>{m.kind}</Table.Td>
                <Table.Td>
                  {m.fromNodeName} → {m.toNodeName}
                </Table.Td>
                <Table.Td>
                  <MoveStatus move={m} />
                </Table.Td>
                <Table.Td>{m.rpoSeconds === null ? (m.kind === 'drain' ? 'none' : '—') : formatRpo(m.rpoSeconds)}</Table.Td>
                <Table.Td>
                  <Text size="sm" lineClamp={2}>
                    {m.error ? `${m.reason} — ${m.error}` : m.reason}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

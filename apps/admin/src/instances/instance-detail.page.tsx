import { Anchor, Badge, Button, Code, Group, ScrollArea, Select, SimpleGrid, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { EmptyState, formatDate, formatDateTime, PageTitle, problemMessage, QueryView } from '@saas/ui';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { InstanceCharts } from '../metrics/instance-charts';
import { Fact, Section, SmallTable, UUID } from '../shared/detail-parts';
import { InstanceActions } from './instance-actions';
import { InstanceStatusBadge } from './instance-status-badge';
import { type AdminInstance, useAdminInstance, useInstanceFindings, useInstanceHistory, useInstanceLogs } from './instances.queries';

function History({ instanceId }: { instanceId: string }) {
  const history = useInstanceHistory(instanceId);
  return (
    <QueryView query={history} loadingLabel="Loading the history…" empty={<EmptyState title="No status changes yet" />}>
      {(events) => (
        <SmallTable label="Status changes" columns={['When', 'From', 'To', 'Why']} minWidth={560}>
          {[...events].reverse().map((e) => (
            <Table.Tr key={`${e.at}-${e.toStatus}`}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
              <Table.Td>{e.fromStatus ?? '—'}</Table.Td>
              <Table.Td>{e.toStatus}</Table.Td>
              <Table.Td>
                <Text size="sm" lineClamp={3} title={e.reason}>
                  {e.reason}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </SmallTable>
      )}
    </QueryView>
  );
}

function Findings({ instanceId }: { instanceId: string }) {
  const findings = useInstanceFindings(instanceId);
  return (
    <QueryView
      query={findings}
      loadingLabel="Loading the findings…"
      empty={<EmptyState title="Nothing found" description="The reconciler has not had to correct this instance." />}
    >
      {(rows) => (
        <SmallTable label="Reconciler findings" columns={['When', 'Finding', 'Action', 'Detail']} minWidth={560}>
          {rows.map((f) => (
            <Table.Tr key={`${f.runId}-${f.kind}`}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(f.at)}</Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {f.kind}
                </Text>
              </Table.Td>
              <Table.Td>{f.action}</Table.Td>
              <Table.Td>{f.detail ?? '—'}</Table.Td>
            </Table.Tr>
          ))}
        </SmallTable>
      )}
    </QueryView>
  );
}

const TAILS = ['100', '200', '500', '1000'];

function Logs({ instanceId }: { instanceId: string }) {
  const [tail, setTail] = useState('200');
  const logs = useInstanceLogs(instanceId, Number(tail));
  return (
    <Stack gap="xs">
      <Group align="flex-end" gap="xs">
        <Select label="Lines" data={TAILS} value={tail} onChange={(v) => setTail(v ?? '200')} allowDeselect={false} w={110} />
        <Button variant="default" onClick={() => logs.refetch()} loading={logs.isFetching}>
          Refresh log
        </Button>
      </Group>
      {logs.error ? (
        <Text size="sm" c="dimmed" role="status">
          {problemMessage(logs.error)}
        </Text>
      ) : (
        <ScrollArea.Autosize mah={420} type="auto">
          {/* Focusable so keyboard users can scroll it; values that look like secrets are masked by the API. */}
          <Code block tabIndex={0} aria-label="Odoo log" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {logs.isPending ? 'Loading…' : logs.data?.text || '(empty)'}
          </Code>
        </ScrollArea.Autosize>
      )}
    </Stack>
  );
}

function InstanceDetail({ instance: i }: { instance: AdminInstance }) {
  return (
    <Stack>
      <PageTitle>{i.slug}</PageTitle>
      <Section title="Instance">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md" mb="md">
          <Fact label="Status">
            <Group gap={4}>
              <InstanceStatusBadge instance={i} />
              {i.suspended && (
                <Badge color="red" variant="outline">
                  suspended
                </Badge>
              )}
            </Group>
            {i.progress && i.progress.percent < 100 && i.progress.step && <Text size="xs">{i.progress.step}</Text>}
          </Fact>
          <Fact label="Tenant">
            <Anchor component={Link} to={`/tenants/${i.tenantId}`} size="sm">
              {i.tenantName}
            </Anchor>
          </Fact>
          <Fact label="Odoo version">{i.version}</Fact>
          <Fact label="Wanted">{i.desiredState}</Fact>
          <Fact label="Address">
            {i.status === 'deleted' ? (
              i.url
            ) : (
              <Anchor href={i.url} target="_blank" rel="noopener noreferrer" size="sm">
                {i.url}
                <VisuallyHidden> (opens in a new tab)</VisuallyHidden>
              </Anchor>
            )}
          </Fact>
          <Fact label="Created">{formatDate(i.createdAt)}</Fact>
          <Fact label="Ready since">{i.readyAt ? formatDateTime(i.readyAt) : 'Never ready'}</Fact>
          <Fact label="Name">{i.name}</Fact>
        </SimpleGrid>
        {i.lastError && (
          <Text size="sm" c="red" mb="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {i.lastError}
          </Text>
        )}
        <InstanceActions instance={i} />
      </Section>
      <Section title="Charts">
        <InstanceCharts instanceId={i.id} />
      </Section>
      <Section title="Log">
        {i.status === 'deleted' ? <Text size="sm">A deleted instance has no log.</Text> : <Logs instanceId={i.id} />}
      </Section>
      <Section title="State history">
        <History instanceId={i.id} />
      </Section>
      <Section title="Reconciler findings">
        <Findings instanceId={i.id} />
      </Section>
    </Stack>
  );
}

export function InstanceDetailPage() {
  const { instanceId = '' } = useParams();
  if (!UUID.test(instanceId)) return <EmptyState title="Instance not found" description="This address names no instance." />;
  return <InstanceDetailView instanceId={instanceId} />;
}

function InstanceDetailView({ instanceId }: { instanceId: string }) {
  const instance = useAdminInstance(instanceId);
  return (
    <QueryView query={instance} loadingLabel="Loading the instance…" empty={null} isEmpty={() => false}>
      {(detail) => <InstanceDetail instance={detail} />}
    </QueryView>
  );
}

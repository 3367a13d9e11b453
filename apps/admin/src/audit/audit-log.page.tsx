import { Badge, Button, Group, Paper, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { EmptyState, formatDateTime, Pager, PageTitle, QueryView } from '@saas/ui';
import { useSearchParams } from 'react-router';
import { PAGE_SIZE } from '../config';
import { useAdminAuditLog } from './audit.queries';

// Filters and page live in the URL so a filtered view can be linked (e.g. from the tenants table).
export function AuditLogPage() {
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? '';
  const tenantId = params.get('tenantId') ?? '';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const [debouncedAction] = useDebouncedValue(action.trim(), 300);
  const [debouncedTenant] = useDebouncedValue(tenantId.trim(), 300);
  const log = useAdminAuditLog({ action: debouncedAction, tenantId: debouncedTenant, limit: PAGE_SIZE, offset });

  function update(changes: Record<string, string>) {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  }

  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <Paper withBorder p="md">
        <Group align="flex-end" mb="md" wrap="wrap">
          <TextInput
            label="Action"
            placeholder="e.g. auth.login"
            value={action}
            onChange={(e) => update({ action: e.currentTarget.value, offset: '' })}
            w={220}
          />
          <TextInput label="Tenant ID" value={tenantId} onChange={(e) => update({ tenantId: e.currentTarget.value, offset: '' })} w={320} />
          {(action || tenantId) && (
            <Button variant="default" onClick={() => update({ action: '', tenantId: '', offset: '' })}>
              Clear filters
            </Button>
          )}
        </Group>
        <QueryView
          query={log}
          loadingLabel="Loading audit log…"
          isEmpty={(data) => data.items.length === 0}
          empty={<EmptyState title="No entries" description={action || tenantId ? 'No entries match these filters.' : undefined} />}
        >
          {(data) => (
            <>
              <Table.ScrollContainer minWidth={960}>
                <Table verticalSpacing="xs" striped aria-busy={log.isFetching}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">When</Table.Th>
                      <Table.Th scope="col">Actor</Table.Th>
                      <Table.Th scope="col">Action</Table.Th>
                      <Table.Th scope="col">Target</Table.Th>
                      <Table.Th scope="col">Tenant</Table.Th>
                      <Table.Th scope="col">Result</Table.Th>
                      <Table.Th scope="col">IP / request</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((e) => (
                      <Table.Tr key={e.id}>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
                        <Table.Td>
                          {e.actor?.email ?? (
                            <Text span size="sm" c="dimmed">
                              system
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" ff="monospace">
                            {e.action}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Text size="xs" ff="monospace">
                            {e.targetType ? `${e.targetType}:${e.targetId ?? ''}` : '—'}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          {e.tenantId ? (
                            <Button
                              variant="subtle"
                              size="compact-xs"
                              ff="monospace"
                              onClick={() => update({ tenantId: e.tenantId ?? '', offset: '' })}
                              aria-label={`Filter by tenant ${e.tenantId}`}
                            >
                              {e.tenantId.slice(0, 8)}
                            </Button>
                          ) : (
                            '—'
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Badge color={e.result === 'success' ? 'teal' : 'red'} variant="light">
                            {e.result}
                          </Badge>
                        </Table.Td>
                        <Table.Td>
                          <Text size="xs">{e.ip ?? '—'}</Text>
                          <Text size="xs" c="dimmed" ff="monospace">
                            {e.requestId ?? ''}
                          </Text>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <Pager total={data.total} limit={PAGE_SIZE} offset={offset} onChange={(o) => update({ offset: o ? String(o) : '' })} />
            </>
          )}
        </QueryView>
      </Paper>
    </>
  );
}

import { Badge, Button, Group, Paper, Table, Text } from '@mantine/core';
import { EmptyState, formatDateTime, PageTitle, QueryTable, SearchField, useSearchTerm } from '@saas/ui';
import { PAGE_SIZE } from '../config';
import { useUrlParams } from '../shared/url-params';
import { type AuditEntry, useAdminAuditLog } from './audit.queries';

const COLUMNS = ['When', 'Actor', 'Action', 'Target', 'Tenant', 'Result', 'IP / request'];

function AuditRow({ entry: e, onTenant }: { entry: AuditEntry; onTenant: (tenantId: string) => void }) {
  return (
    <Table.Tr>
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
            onClick={() => onTenant(e.tenantId ?? '')}
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
  );
}

// Filters and page live in the URL so a filtered view can be linked (e.g. from the tenants table).
export function AuditLogPage() {
  const { params, offset, update, setOffset } = useUrlParams();
  const action = params.get('action') ?? '';
  const tenantId = params.get('tenantId') ?? '';
  const actionTerm = useSearchTerm(action);
  const tenantTerm = useSearchTerm(tenantId);
  const log = useAdminAuditLog({ action: actionTerm, tenantId: tenantTerm, limit: PAGE_SIZE, offset });

  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <Paper withBorder p="md">
        <Group align="flex-end" mb="md" wrap="wrap">
          <SearchField
            label="Action"
            placeholder="e.g. auth.login"
            value={action}
            onChange={(v) => update({ action: v, offset: '' })}
            w={220}
          />
          <SearchField label="Tenant ID" value={tenantId} onChange={(v) => update({ tenantId: v, offset: '' })} w={320} />
          {(action || tenantId) && (
            <Button variant="default" onClick={() => update({ action: '', tenantId: '', offset: '' })}>
              Clear filters
            </Button>
          )}
        </Group>
        <QueryTable
          query={log}
          empty={<EmptyState title="No entries" description={action || tenantId ? 'No entries match these filters.' : undefined} />}
          label="Audit log"
          minWidth={960}
          verticalSpacing="xs"
          striped
          columns={COLUMNS}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(e) => <AuditRow key={e.id} entry={e} onTenant={(id) => update({ tenantId: id, offset: '' })} />}
        </QueryTable>
      </Paper>
    </>
  );
}

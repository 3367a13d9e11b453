import { Badge, Button, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  EmptyState,
  formatCpu,
  formatDateTime,
  formatMemory,
  formatRelative,
  notifyError,
  notifySuccess,
  PageTitle,
  QueryTable,
} from '@saas/ui';
import { useState } from 'react';
import { useIsPlatformAdmin } from '../app-layout';
import { badgeStyles } from '../shared/badge-styles';
import { ReadOnlyHint } from '../shared/read-only-hint';
import { PlanForm } from './plan-form';
import { ActivePrices, EarlierPrices } from './plan-prices';
import { type Plan, usePlans, useSyncPlan } from './plans.queries';

/** Where the plan stands with the payment provider: synced when, never, or why the last sync failed. */
function SyncState({ plan, canEdit }: { plan: Plan; canEdit: boolean }) {
  const sync = useSyncPlan();
  if (plan.syncError) {
    return (
      <Stack gap={4} align="flex-start">
        <Text size="sm" c="red.9" style={{ wordBreak: 'break-word' }}>
          Sync failed: {plan.syncError}
        </Text>
        {canEdit && (
          <Button
            variant="default"
            size="xs"
            loading={sync.isPending}
            aria-label={`Retry sync of ${plan.name}`}
            onClick={() =>
              sync.mutateAsync(plan.code).then(
                (p) =>
                  p.syncError
                    ? notifyError(new Error(p.syncError), 'Sync failed again')
                    : notifySuccess('The plan and its prices are synced.', p.name),
                (e) => notifyError(e, 'Sync failed'),
              )
            }
          >
            Retry sync
          </Button>
        )}
      </Stack>
    );
  }
  if (!plan.syncedAt) return <Text size="sm">Not synced</Text>;
  return (
    <Text size="sm" title={formatDateTime(plan.syncedAt)}>
      Synced {formatRelative(plan.syncedAt)}
    </Text>
  );
}

function Limits({ plan }: { plan: Plan }) {
  return (
    <>
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        {plan.maxInstances} {plan.maxInstances === 1 ? 'instance' : 'instances'} · {formatMemory(plan.memoryMb)} ·{' '}
        {formatCpu(plan.cpuMillis)}
      </Text>
      <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
        {plan.workers} workers · {plan.pids.toLocaleString()} processes · {plan.storageGb} GB
      </Text>
      <Text size="xs" c="dimmed">
        {plan.odooVersions ? `Odoo ${plan.odooVersions.join(', ')}` : 'Every Odoo version'}
        {plan.customDomains ? ' · custom domains' : ''}
      </Text>
    </>
  );
}

export function PlansPage() {
  const plans = usePlans();
  const canEdit = useIsPlatformAdmin();
  const [editing, setEditing] = useState<Plan | null>(null);
  const [formOpened, form] = useDisclosure(false);

  function openForm(plan: Plan | null) {
    setEditing(plan);
    form.open();
  }

  return (
    <>
      <PageTitle actions={canEdit && <Button onClick={() => openForm(null)}>New plan</Button>}>Plans</PageTitle>
      <ReadOnlyHint />
      <Text size="sm" c="dimmed" mb="md" maw={720}>
        A plan sets its prices, how many instances a tenant may run and the limits of each. Public plans are on the pricing page; move a
        tenant to any plan from the Tenants page.
      </Text>
      <Paper withBorder p="md">
        <QueryTable
          query={plans}
          keepDataOnError
          empty={<EmptyState title="No plans" action={canEdit && <Button onClick={() => openForm(null)}>New plan</Button>} />}
          label="Plans"
          minWidth={1100}
          striped
          columns={['Plan', 'Price', 'Trial', 'Limits', 'Sync', canEdit && 'Actions']}
        >
          {(p) => (
            <Table.Tr key={p.code}>
              <Table.Td>
                <NameCellContent plan={p} />
              </Table.Td>
              <Table.Td>
                <ActivePrices prices={p.prices} perUser={p.perUser} />
                {p.prices.some((x) => !x.active) && (
                  <details>
                    <summary>
                      <Text span size="xs" title="Existing subscribers may still pay them">
                        Earlier prices
                      </Text>
                    </summary>
                    <EarlierPrices prices={p.prices} titled={false} />
                  </details>
                )}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{p.trialDays ? `${p.trialDays} days` : 'None'}</Table.Td>
              <Table.Td>
                <Limits plan={p} />
              </Table.Td>
              <Table.Td maw={280}>
                <SyncState plan={p} canEdit={canEdit} />
              </Table.Td>
              {canEdit && (
                <Table.Td>
                  <Button variant="default" size="xs" onClick={() => openForm(p)} aria-label={`Edit plan ${p.name}`}>
                    Edit
                  </Button>
                </Table.Td>
              )}
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
      <PlanForm plan={editing} opened={formOpened} onClose={form.close} />
    </>
  );
}

function NameCellContent({ plan }: { plan: Plan }) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <div>
        <Text size="sm" fw={500}>
          {plan.name}
        </Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {plan.code}
        </Text>
      </div>
      {plan.visibility === 'hidden' && (
        <Badge color="gray.7" variant="filled" styles={badgeStyles}>
          Hidden
        </Badge>
      )}
    </Group>
  );
}

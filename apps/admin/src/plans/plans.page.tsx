import { Button, Paper, Table, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { EmptyState, ErrorState, LoadingState, PageTitle, TableScroll } from '@saas/ui';
import { useState } from 'react';
import { useIsPlatformAdmin } from '../app-layout';
import { formatCpu, formatMemory } from '../shared/format';
import { ReadOnlyHint } from '../shared/read-only-hint';
import { PlanForm } from './plan-form';
import { type Plan, usePlans } from './plans.queries';

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
        A plan sets how many instances a tenant may run and the limits of each. Move a tenant to another plan from the Tenants page.
      </Text>
      <Paper withBorder p="md">
        {plans.isPending ? (
          <LoadingState label="Loading plans…" />
        ) : !plans.data ? (
          <ErrorState error={plans.error} onRetry={() => plans.refetch()} />
        ) : plans.data.length === 0 ? (
          <EmptyState title="No plans" action={canEdit && <Button onClick={() => openForm(null)}>New plan</Button>} />
        ) : (
          <TableScroll label="Plans" minWidth={820}>
            <Table verticalSpacing="sm" striped aria-busy={plans.isFetching}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Plan</Table.Th>
                  <Table.Th scope="col">Instances</Table.Th>
                  <Table.Th scope="col">Memory</Table.Th>
                  <Table.Th scope="col">CPU</Table.Th>
                  <Table.Th scope="col">Processes</Table.Th>
                  <Table.Th scope="col">Storage</Table.Th>
                  <Table.Th scope="col">Workers</Table.Th>
                  {canEdit && <Table.Th scope="col">Actions</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {plans.data.map((p) => (
                  <Table.Tr key={p.code}>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {p.name}
                      </Text>
                      <Text size="xs" c="dimmed" ff="monospace">
                        {p.code}
                      </Text>
                    </Table.Td>
                    <Table.Td>{p.maxInstances}</Table.Td>
                    <Table.Td>{formatMemory(p.memoryMb)}</Table.Td>
                    <Table.Td>{formatCpu(p.cpuMillis)}</Table.Td>
                    <Table.Td>{p.pids.toLocaleString()}</Table.Td>
                    <Table.Td>{p.storageGb} GB</Table.Td>
                    <Table.Td>{p.workers}</Table.Td>
                    {canEdit && (
                      <Table.Td>
                        <Button variant="default" size="xs" onClick={() => openForm(p)} aria-label={`Edit plan ${p.name}`}>
                          Edit
                        </Button>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        )}
      </Paper>
      <PlanForm plan={editing} opened={formOpened} onClose={form.close} />
    </>
  );
}

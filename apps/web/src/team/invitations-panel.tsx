import { Button, Group, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { applyProblemToForm, ConfirmButton, DataTable, EmptyState, focusFirstError, formatDate, notifySuccess, QueryView } from '@saas/ui';
import { type InviteInput, useInvitations, useInvite, useRevokeInvitation } from './team.queries';

function InviteForm({ tenantId }: { tenantId: string }) {
  const invite = useInvite(tenantId);
  const form = useForm<InviteInput>({
    initialValues: { email: '', role: 'member' },
    validate: { email: (v) => (/^\S+@\S+$/.test(v) ? null : 'Enter a valid email address') },
  });

  return (
    <form
      onSubmit={form.onSubmit(
        (values) =>
          invite.mutate(values, {
            onSuccess: () => {
              notifySuccess(`Invitation sent to ${values.email}.`);
              form.reset();
            },
            onError: (e) => applyProblemToForm(form, e),
          }),
        (errors) => focusFirstError(form, errors),
      )}
      noValidate
    >
      <Group align="flex-start" wrap="wrap">
        <TextInput label="Email" type="email" required w={{ base: '100%', sm: 280 }} {...form.getInputProps('email')} />
        <Select
          label="Role"
          allowDeselect={false}
          w={140}
          data={[
            { value: 'member', label: 'Member' },
            { value: 'admin', label: 'Admin' },
          ]}
          {...form.getInputProps('role')}
        />
        <Button type="submit" mt={{ base: 0, sm: 25 }} loading={invite.isPending}>
          Send invitation
        </Button>
      </Group>
    </form>
  );
}

export function InvitationsPanel({ tenantId }: { tenantId: string }) {
  const invitations = useInvitations(tenantId);
  const revoke = useRevokeInvitation(tenantId);

  return (
    <Stack>
      <Title order={2} size="h3">
        Invite someone
      </Title>
      <InviteForm tenantId={tenantId} />
      <Title order={2} size="h3" mt="md">
        Pending invitations
      </Title>
      <QueryView query={invitations} loadingLabel="Loading invitations…" empty={<EmptyState title="No pending invitations" />}>
        {(data) => (
          <DataTable label="Pending invitations" minWidth={520} columns={['Email', 'Role', 'Expires', { label: 'Actions', hidden: true }]}>
            {data.map((inv) => (
              <Table.Tr key={inv.id}>
                <Table.Td>{inv.email}</Table.Td>
                <Table.Td>{inv.role}</Table.Td>
                <Table.Td>{formatDate(inv.expiresAt)}</Table.Td>
                <Table.Td>
                  <Group justify="flex-end">
                    <ConfirmButton
                      aria-label={`Revoke invitation for ${inv.email}`}
                      title="Revoke invitation"
                      message={`The invitation link sent to ${inv.email} will stop working.`}
                      confirmLabel="Revoke"
                      onConfirm={() => revoke.mutateAsync(inv.id)}
                    >
                      Revoke
                    </ConfirmButton>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
        )}
      </QueryView>
    </Stack>
  );
}

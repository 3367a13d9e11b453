import { Group, Select, Stack, Text, Title } from '@mantine/core';
import { ConfirmButton, notifySuccess } from '@saas/ui';
import { useState } from 'react';
import { useMembers, useTransferOwnership } from './team.queries';

/** Owner only: hand the organization to another member. */
export function TransferOwnership({
  tenantId,
  tenantName,
  currentUserId,
}: {
  tenantId: string;
  tenantName: string;
  currentUserId: string;
}) {
  const members = useMembers(tenantId);
  const transfer = useTransferOwnership(tenantId);
  const [userId, setUserId] = useState<string | null>(null);
  const candidates = (members.data ?? []).filter((m) => m.userId !== currentUserId);
  const target = candidates.find((m) => m.userId === userId);

  return (
    <Stack>
      <Title order={2} size="h3">
        Transfer ownership
      </Title>
      <Text size="sm">The new owner gets full control, including billing. You stay in the organization as an admin.</Text>
      <Group align="flex-end">
        <Select
          label="New owner"
          placeholder={candidates.length ? 'Choose a member' : 'No other members yet'}
          data={candidates.map((m) => ({ value: m.userId, label: `${m.name || m.email} (${m.email})` }))}
          value={userId}
          onChange={setUserId}
          disabled={candidates.length === 0}
          w={{ base: '100%', sm: 320 }}
        />
        <ConfirmButton
          size="sm"
          disabled={!target}
          title="Transfer ownership"
          message={`${target?.name || target?.email} will become the owner of ${tenantName}. You cannot undo this yourself.`}
          confirmLabel="Transfer"
          onConfirm={async () => {
            if (!target) return;
            await transfer.mutateAsync(target.userId);
            notifySuccess(`${target.name || target.email} is now the owner.`);
            setUserId(null);
          }}
        >
          Transfer…
        </ConfirmButton>
      </Group>
    </Stack>
  );
}

import { Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export interface NameCellProps {
  name: ReactNode;
  /** What tells it apart below the name (an email, a code, an id), small and dimmed. */
  detail: ReactNode;
  /** For codes and ids. */
  monospace?: boolean;
}

/** The first cell of a row: the thing's name, and below it what identifies it. */
export function NameCell({ name, detail, monospace = false }: NameCellProps) {
  return (
    <Table.Td>
      <Text size="sm" fw={500}>
        {name}
      </Text>
      <Text size="xs" c="dimmed" ff={monospace ? 'monospace' : undefined}>
        {detail}
      </Text>
    </Table.Td>
  );
}

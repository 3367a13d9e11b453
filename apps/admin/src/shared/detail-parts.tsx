import { Paper, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** A detail page's id from the URL: only a uuid reaches the API (anything else is a not-found page). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One labelled fact of a detail page's summary grid. */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </div>
  );
}

/** A titled, landmarked part of a detail page. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** A plain table of a few rows (a detail's lists are short: no paging). */
export function SmallTable({
  label,
  columns,
  minWidth,
  children,
}: {
  label: string;
  columns: string[];
  minWidth: number;
  children: ReactNode;
}) {
  return (
    // Focusable, as @saas/ui's tables: keyboard users can scroll it at phone width.
    <Table.ScrollContainer type="native" minWidth={minWidth} tabIndex={0} role="region" aria-label={label}>
      <Table striped aria-label={label} verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => (
              <Table.Th key={c}>{c}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>{children}</Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

import { Table, type TableProps, VisuallyHidden } from '@mantine/core';
import type { ReactNode } from 'react';

/** A header label; `hidden` keeps it for screen readers only (e.g. an actions column). */
export type DataTableColumn = string | { label: string; hidden: true };

export interface DataTableProps extends Omit<TableProps, 'children'> {
  /** Names the scrolling region for screen readers, e.g. "Members". */
  label: string;
  /** Below this width the table scrolls sideways instead of squeezing its columns. */
  minWidth: number;
  /** Header labels in order; `false` leaves a column out (e.g. one only editors see). */
  columns: (DataTableColumn | false)[];
  /** The body rows. */
  children: ReactNode;
}

/**
 * A table with one header row that scrolls sideways on narrow screens; other props go to Mantine's Table.
 * The scrolling region is focusable and named, so keyboard users can scroll it even when the table holds
 * no focusable control (WCAG 2.1.1). It is positioned, so visually hidden (absolutely positioned) text in
 * the cells is clipped with the table instead of widening the page.
 */
export function DataTable({ label, minWidth, columns, children, verticalSpacing = 'sm', ...tableProps }: DataTableProps) {
  return (
    <Table.ScrollContainer type="native" pos="relative" minWidth={minWidth} tabIndex={0} role="region" aria-label={label}>
      <Table verticalSpacing={verticalSpacing} {...tableProps}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((column) => {
              if (column === false) return null;
              const text = typeof column === 'string' ? column : <VisuallyHidden>{column.label}</VisuallyHidden>;
              return (
                <Table.Th key={typeof column === 'string' ? column : column.label} scope="col">
                  {text}
                </Table.Th>
              );
            })}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>{children}</Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

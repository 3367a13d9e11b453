import { Table, type TableProps, VisuallyHidden } from '@mantine/core';
import type { ReactNode } from 'react';
import { TableScroll } from './table-scroll';

/** A header label; `hidden` keeps it for screen readers only (e.g. an actions column). */
export type DataTableColumn = string | { label: string; hidden: true };

export interface DataTableProps extends Omit<TableProps, 'children'> {
  /** Names the scrolling region for screen readers, e.g. "Members". */
  label: string;
  minWidth: number;
  /** Header labels in order; `false` leaves a column out (e.g. one only editors see). */
  columns: (DataTableColumn | false)[];
  /** The body rows. */
  children: ReactNode;
}

/** A sideways-scrolling table with one header row; other props go to Mantine's Table. */
export function DataTable({ label, minWidth, columns, children, verticalSpacing = 'sm', ...tableProps }: DataTableProps) {
  return (
    <TableScroll label={label} minWidth={minWidth}>
      <Table verticalSpacing={verticalSpacing} {...tableProps}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((column) => {
              if (column === false) return null;
              if (typeof column === 'string') {
                return (
                  <Table.Th key={column} scope="col">
                    {column}
                  </Table.Th>
                );
              }
              return (
                <Table.Th key={column.label} scope="col">
                  <VisuallyHidden>{column.label}</VisuallyHidden>
                </Table.Th>
              );
            })}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>{children}</Table.Tbody>
      </Table>
    </TableScroll>
  );
}

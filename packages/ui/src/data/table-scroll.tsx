import { Table } from '@mantine/core';
import type { ReactNode } from 'react';

export interface TableScrollProps {
  /** Names the region for screen readers, e.g. "Members". */
  label: string;
  /** Below this width the table scrolls sideways instead of squeezing its columns. */
  minWidth: number;
  children: ReactNode;
}

/**
 * A table that scrolls sideways on narrow screens. The scrolling region is focusable and named, so
 * keyboard users can scroll it even when the table holds no focusable control (WCAG 2.1.1). It is
 * positioned, so visually hidden (absolutely positioned) text in the cells is clipped with the table
 * instead of widening the page.
 */
export function TableScroll({ label, minWidth, children }: TableScrollProps) {
  return (
    <Table.ScrollContainer type="native" pos="relative" minWidth={minWidth} tabIndex={0} role="region" aria-label={label}>
      {children}
    </Table.ScrollContainer>
  );
}

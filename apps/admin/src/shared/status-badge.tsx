import { Badge, Loader } from '@mantine/core';
import { badgeStyles } from './badge-styles';

/** How a status looks: its colour, and whether work is in flight on it. */
export interface StatusLook {
  color: string;
  busy: boolean;
}

/**
 * The raw status (operators filter by these names). Statuses in flight are light with a spinner and
 * their progress; settled ones are filled.
 */
export function StatusBadge({ status, look, percent }: { status: string; look: StatusLook; percent?: number | null }) {
  const { color, busy } = look;
  return (
    <Badge
      // The darkest shades keep text contrast above 4.5:1 (white on filled, dark on light).
      color={busy ? color : color === 'gray' ? 'gray.7' : `${color}.9`}
      c={busy ? `${color}.9` : undefined}
      variant={busy ? 'light' : 'filled'}
      leftSection={busy ? <Loader size={10} color={`${color}.9`} aria-hidden /> : undefined}
      styles={badgeStyles}
    >
      {status}
      {busy && percent != null ? ` ${percent}%` : ''}
    </Badge>
  );
}

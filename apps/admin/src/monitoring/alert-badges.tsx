import { Badge } from '@mantine/core';
import { badgeStyles } from '../shared/badge-styles';
import type { AdminAlert } from './alerts.queries';

export function SeverityBadge({ severity }: { severity: string }) {
  const critical = severity === 'critical';
  return (
    <Badge
      // Filled dark shades: the light orange variant failed axe's colour-contrast check.
      color={critical ? 'red.9' : 'orange.9'}
      variant="filled"
      styles={badgeStyles}
    >
      {severity}
    </Badge>
  );
}

export function AlertStatusBadge({ alert }: { alert: AdminAlert }) {
  return alert.status === 'firing' ? (
    <Badge color="red.9" variant="filled" styles={badgeStyles}>
      firing
    </Badge>
  ) : (
    <Badge color="teal.9" variant="filled" styles={badgeStyles}>
      resolved
    </Badge>
  );
}

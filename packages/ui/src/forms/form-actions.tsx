import { Button, type ButtonProps, Group } from '@mantine/core';
import type { ReactNode } from 'react';

export interface FormActionsProps {
  /** The submit button's text, e.g. "Save". */
  submitLabel: ReactNode;
  /** While the form is being sent: the submit button spins and Cancel waits. */
  pending: boolean;
  onCancel: () => void;
  /** E.g. until what the form needs has loaded, or a destructive form is confirmed. */
  submitDisabled?: boolean;
  submitColor?: ButtonProps['color'];
}

/** A dialog form's closing row: Cancel, then the submit button. */
export function FormActions({ submitLabel, pending, onCancel, submitDisabled, submitColor }: FormActionsProps) {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onCancel} disabled={pending}>
        Cancel
      </Button>
      <Button type="submit" color={submitColor} loading={pending} disabled={submitDisabled}>
        {submitLabel}
      </Button>
    </Group>
  );
}

import { TextInput, type TextInputProps } from '@mantine/core';

export interface KeyInputProps extends TextInputProps {
  /** Editing an existing record: its key is shown but cannot change (it is in the API path). */
  locked: boolean;
  /** What to enter, for a new record. */
  hint: string;
  /** Why it cannot change, for an existing one. */
  lockedHint: string;
}

/** The key a new record is created under (a plan's code, an Odoo version); focused first when creating. */
export function KeyInput({ locked, hint, lockedHint, ...inputProps }: KeyInputProps) {
  return (
    <TextInput description={locked ? lockedHint : hint} required disabled={locked} data-autofocus={!locked || undefined} {...inputProps} />
  );
}

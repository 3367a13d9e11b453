import { Button, type ButtonProps, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { FormActions, problemMessage } from '@saas/ui';
import { type FormEvent, type ReactNode, useState } from 'react';

export const REASON_MIN = 10;
export const REASON_MAX = 500;

/** The error to show for a reason, or null when it will do (the API asks for 10–500 characters). */
export function reasonError(reason: string): string | null {
  const length = reason.trim().length;
  if (length < REASON_MIN) return `Give a reason of at least ${REASON_MIN} characters (e.g. the ticket and what the user asked for).`;
  if (length > REASON_MAX) return `Keep the reason under ${REASON_MAX} characters.`;
  return null;
}

export interface ReasonButtonProps extends Omit<ButtonProps, 'children' | 'onClick'> {
  children: ReactNode;
  'aria-label'?: string;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  /** Ask for a reason (recorded in the audit trail); without it the dialog only confirms. */
  withReason?: boolean;
  onConfirm: (reason: string) => Promise<unknown>;
}

/** An operator action behind a confirmation dialog that, for disruptive actions, asks why. */
export function ReasonButton({
  children,
  title,
  message,
  confirmLabel,
  withReason = true,
  onConfirm,
  color = 'red',
  ...props
}: ReasonButtonProps) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button color={color} variant="light" size="xs" {...props} onClick={open}>
        {children}
      </Button>
      <Modal opened={opened} onClose={close} title={title} centered>
        {opened && (
          <ReasonForm
            message={message}
            confirmLabel={confirmLabel}
            withReason={withReason}
            onConfirm={onConfirm}
            onDone={close}
            color={color}
          />
        )}
      </Modal>
    </>
  );
}

function ReasonForm({
  message,
  confirmLabel,
  withReason,
  onConfirm,
  onDone,
  color,
}: Pick<ReasonButtonProps, 'message' | 'confirmLabel' | 'withReason' | 'onConfirm' | 'color'> & { onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const invalid = withReason ? reasonError(reason) : null;
    if (invalid) {
      setError(invalid);
      return;
    }
    setBusy(true);
    try {
      await onConfirm(reason.trim());
      onDone();
    } catch (err) {
      setError(problemMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">{message}</Text>
        {withReason ? (
          <Textarea
            label="Reason"
            description="Recorded in the audit trail with your name."
            value={reason}
            onChange={(e) => {
              setReason(e.currentTarget.value);
              setError(null);
            }}
            error={error}
            required
            autosize
            minRows={2}
            maxLength={REASON_MAX}
            data-autofocus
          />
        ) : (
          error && (
            <Text size="sm" c="red" role="alert">
              {error}
            </Text>
          )
        )}
        <FormActions submitLabel={confirmLabel} pending={busy} onCancel={onDone} submitColor={color} />
      </Stack>
    </form>
  );
}

import { Alert, Modal, type ModalProps, Stack, TextInput } from '@mantine/core';
import { FormActions, problemMessage } from '@saas/ui';
import { type ReactNode, useEffect, useState } from 'react';

export interface ConfirmBySubdomainProps {
  opened: boolean;
  /** Closing (cancel, Escape, after success): the caller resets its mutation here. */
  onClose: () => void;
  title: string;
  size?: ModalProps['size'];
  /** The instance's subdomain: what has to be typed. */
  slug: string;
  submitLabel: string;
  pending: boolean;
  /** The last attempt's error, shown above the field. */
  error: unknown;
  errorTitle?: string;
  /** Called once the subdomain was typed and the form submitted. */
  onConfirm: () => void;
  /** What happens, explained. */
  children: ReactNode;
}

/** A destructive action on an instance, confirmed by typing its subdomain (delete, restore in place). */
export function ConfirmBySubdomain({
  opened,
  onClose,
  title,
  size,
  slug,
  submitLabel,
  pending,
  error,
  errorTitle,
  onConfirm,
  children,
}: ConfirmBySubdomainProps) {
  const [typed, setTyped] = useState('');
  const matches = typed.trim() === slug;
  // Closed by the caller too (after success): the next opening starts empty.
  useEffect(() => {
    if (!opened) setTyped('');
  }, [opened]);

  return (
    <Modal opened={opened} onClose={onClose} title={title} centered size={size}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (matches) onConfirm();
        }}
      >
        <Stack>
          {children}
          {error != null && (
            <Alert color="red" role="alert" title={errorTitle}>
              {problemMessage(error)}
            </Alert>
          )}
          <TextInput
            label={
              <>
                Type <strong>{slug}</strong> to confirm
              </>
            }
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            data-autofocus
          />
          <FormActions submitLabel={submitLabel} submitColor="red.9" pending={pending} onCancel={onClose} submitDisabled={!matches} />
        </Stack>
      </form>
    </Modal>
  );
}

import { Alert, Badge, Button, Code, CopyButton, Group, List, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { applyProblemToForm, focusFirstError, notifyError, notifySuccess, useSession } from '@saas/ui';
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { type TotpSetup, useTotpDisable, useTotpEnable, useTotpSetup } from './account.queries';

function QrImage({ value }: { value: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(value, { margin: 1, width: 192 })
      .then((url) => live && setSrc(url))
      .catch(() => live && setSrc(null));
    return () => {
      live = false;
    };
  }, [value]);
  return src ? <img src={src} width={192} height={192} alt="QR code to scan with your authenticator app" /> : null;
}

function EnableStep({ setup, onDone }: { setup: TotpSetup; onDone: (codes: string[]) => void }) {
  const enable = useTotpEnable();
  const form = useForm({
    initialValues: { code: '' },
    validate: { code: (v) => (/^\d{6}$/.test(v) ? null : 'Enter the 6-digit code') },
  });
  return (
    <Stack>
      <Text size="sm">Scan the QR code with an authenticator app, or add the key by hand.</Text>
      <QrImage value={setup.otpauthUrl} />
      <Stack gap={4}>
        <Text size="sm" fw={500}>
          Secret key
        </Text>
        <Group gap="xs">
          <Code fz="sm">{setup.secret}</Code>
          <CopyButton value={setup.secret}>
            {({ copied, copy }) => (
              <Button size="compact-xs" variant="subtle" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
        <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
          {setup.otpauthUrl}
        </Text>
      </Stack>
      <form
        onSubmit={form.onSubmit(
          (v) => enable.mutate(v.code, { onSuccess: (d) => onDone(d.recoveryCodes), onError: (e) => applyProblemToForm(form, e) }),
          (errors) => focusFirstError(form, errors),
        )}
        noValidate
      >
        <Group align="flex-end">
          <TextInput
            label="6-digit code from the app"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            required
            autoFocus
            {...form.getInputProps('code')}
          />
          <Button type="submit" loading={enable.isPending}>
            Turn on
          </Button>
        </Group>
      </form>
    </Stack>
  );
}

function RecoveryCodes({ codes, onClose }: { codes: string[]; onClose: () => void }) {
  return (
    <Alert color="teal" title="Two-factor authentication is on" role="status">
      <Stack gap="sm">
        <Text size="sm">
          Save these recovery codes somewhere safe. Each one works once if you lose your phone.{' '}
          <strong>They will not be shown again.</strong>
        </Text>
        <List spacing={2} listStyleType="none" ff="monospace">
          {codes.map((c) => (
            <List.Item key={c}>{c}</List.Item>
          ))}
        </List>
        <Group>
          <CopyButton value={codes.join('\n')}>
            {({ copied, copy }) => (
              <Button size="xs" variant="default" onClick={copy}>
                {copied ? 'Copied' : 'Copy all'}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" onClick={onClose}>
            I saved them
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

function DisableForm() {
  const disable = useTotpDisable();
  const form = useForm({
    initialValues: { password: '', code: '' },
    validate: {
      password: (v) => (v ? null : 'Enter your password'),
      code: (v) => (v.trim() ? null : 'Enter a code from your app'),
    },
  });
  return (
    <form
      onSubmit={form.onSubmit(
        (v) =>
          disable.mutate(v, {
            onSuccess: () => {
              notifySuccess('Two-factor authentication is off.');
              form.reset();
            },
            onError: (e) => applyProblemToForm(form, e),
          }),
        (errors) => focusFirstError(form, errors),
      )}
      noValidate
    >
      <Stack maw={360}>
        <Text size="sm">To turn it off, confirm with your password and a current code.</Text>
        <PasswordInput label="Password" autoComplete="current-password" required {...form.getInputProps('password')} />
        <TextInput label="6-digit code" inputMode="numeric" autoComplete="one-time-code" required {...form.getInputProps('code')} />
        <Button type="submit" color="red" variant="light" loading={disable.isPending} w="fit-content">
          Turn off two-factor authentication
        </Button>
      </Stack>
    </form>
  );
}

export function TwoFactorSection() {
  const { me } = useSession();
  const setup = useTotpSetup();
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  if (!me) return null;

  return (
    <Stack>
      <Group gap="xs">
        <Title order={2} size="h3">
          Two-factor authentication
        </Title>
        <Badge color={me.user.totpEnabled ? 'teal' : 'gray'} variant="light">
          {me.user.totpEnabled ? 'On' : 'Off'}
        </Badge>
      </Group>
      {recoveryCodes ? (
        <RecoveryCodes
          codes={recoveryCodes}
          onClose={() => {
            setRecoveryCodes(null);
            setup.reset();
          }}
        />
      ) : me.user.totpEnabled ? (
        <DisableForm />
      ) : setup.data ? (
        <EnableStep setup={setup.data} onDone={setRecoveryCodes} />
      ) : (
        <Stack align="flex-start">
          <Text size="sm">Protect your account with a code from an authenticator app in addition to your password.</Text>
          <Button onClick={() => setup.mutate(undefined, { onError: (e) => notifyError(e) })} loading={setup.isPending}>
            Set up two-factor authentication
          </Button>
        </Stack>
      )}
    </Stack>
  );
}

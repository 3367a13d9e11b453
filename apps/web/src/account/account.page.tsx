import { Button, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { applyProblemToForm, focusFirstError, notifySuccess, PageTitle, useSession } from '@saas/ui';
import { PASSWORD_HINT, validateNewPassword } from '../auth/password-rules';
import { useChangePassword, useUpdateProfile } from './account.queries';
import { TwoFactorSection } from './two-factor';

function ProfileForm({ name, email }: { name: string; email: string }) {
  const update = useUpdateProfile();
  const form = useForm({ initialValues: { name }, validate: { name: (v) => (v.trim() ? null : 'Enter your name') } });
  return (
    <form
      onSubmit={form.onSubmit(
        (v) =>
          update.mutate(
            { name: v.name.trim() },
            { onSuccess: () => notifySuccess('Profile saved.'), onError: (e) => applyProblemToForm(form, e) },
          ),
        (errors) => focusFirstError(form, errors),
      )}
      noValidate
    >
      <Stack maw={400}>
        <Title order={2} size="h3">
          Profile
        </Title>
        <TextInput label="Email" value={email} readOnly description="Contact support to change your email address." />
        <TextInput label="Name" autoComplete="name" required {...form.getInputProps('name')} />
        <Button type="submit" loading={update.isPending} w="fit-content">
          Save
        </Button>
      </Stack>
    </form>
  );
}

function PasswordForm() {
  const change = useChangePassword();
  const form = useForm({
    initialValues: { currentPassword: '', newPassword: '', confirm: '' },
    validate: {
      currentPassword: (v) => (v ? null : 'Enter your current password'),
      newPassword: validateNewPassword,
      confirm: (v, values) => (v === values.newPassword ? null : 'The passwords do not match'),
    },
  });
  return (
    <form
      onSubmit={form.onSubmit(
        ({ currentPassword, newPassword }) =>
          change.mutate(
            { currentPassword, newPassword },
            {
              onSuccess: () => {
                notifySuccess('Password changed. Your other sessions were signed out.');
                form.reset();
              },
              onError: (e) => applyProblemToForm(form, e),
            },
          ),
        (errors) => focusFirstError(form, errors),
      )}
      noValidate
    >
      <Stack maw={400}>
        <Title order={2} size="h3">
          Change password
        </Title>
        <PasswordInput label="Current password" autoComplete="current-password" required {...form.getInputProps('currentPassword')} />
        <PasswordInput
          label="New password"
          description={PASSWORD_HINT}
          autoComplete="new-password"
          required
          {...form.getInputProps('newPassword')}
        />
        <PasswordInput label="Repeat new password" autoComplete="new-password" required {...form.getInputProps('confirm')} />
        <Button type="submit" loading={change.isPending} w="fit-content">
          Change password
        </Button>
      </Stack>
    </form>
  );
}

export function AccountPage() {
  const { me } = useSession();
  if (!me) return null;
  return (
    <Stack gap="lg">
      <PageTitle>Account</PageTitle>
      <Paper withBorder p="md">
        <ProfileForm key={me.user.name} name={me.user.name} email={me.user.email} />
      </Paper>
      <Paper withBorder p="md">
        <PasswordForm />
      </Paper>
      <Paper withBorder p="md">
        <TwoFactorSection />
      </Paper>
    </Stack>
  );
}

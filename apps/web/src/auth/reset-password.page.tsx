import { Alert, Anchor, Button, PasswordInput, Stack } from '@mantine/core';
import { useForm } from '@mantine/form';
import { isApiProblem } from '@saas/api-client';
import { AuthCard, applyProblemToForm, focusFirstError } from '@saas/ui';
import { Link, useSearchParams } from 'react-router';
import { PRODUCT_NAME } from '../config';
import { useResetPassword } from './auth.queries';
import { PASSWORD_HINT, validateNewPassword } from './password-rules';

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const reset = useResetPassword();
  const form = useForm({
    initialValues: { password: '', confirm: '' },
    validate: {
      password: validateNewPassword,
      confirm: (v, values) => (v === values.password ? null : 'The passwords do not match'),
    },
  });

  const tokenInvalid = reset.error && isApiProblem(reset.error) && reset.error.code === 'invalid_token';

  return (
    <AuthCard productName={PRODUCT_NAME} title="Choose a new password">
      {!token ? (
        <Alert color="red" role="alert">
          This link has no reset token. Open the link from the email again, or{' '}
          <Anchor component={Link} to="/forgot-password">
            request a new one
          </Anchor>
          .
        </Alert>
      ) : reset.isSuccess ? (
        <Stack>
          <Alert color="teal" role="status" title="Password changed">
            Your password was changed and your other sessions were signed out.
          </Alert>
          <Anchor component={Link} to="/login">
            Log in with your new password
          </Anchor>
        </Stack>
      ) : (
        <form
          onSubmit={form.onSubmit(
            (v) =>
              reset.mutate(
                { token, password: v.password },
                { onError: (e) => (isApiProblem(e) && e.code === 'invalid_token' ? undefined : applyProblemToForm(form, e)) },
              ),
            (errors) => focusFirstError(form, errors),
          )}
          noValidate
        >
          <Stack>
            {tokenInvalid && (
              <Alert color="red" role="alert">
                This reset link is invalid or has expired.{' '}
                <Anchor component={Link} to="/forgot-password">
                  Request a new one
                </Anchor>
                .
              </Alert>
            )}
            <PasswordInput
              label="New password"
              description={PASSWORD_HINT}
              autoComplete="new-password"
              required
              autoFocus
              {...form.getInputProps('password')}
            />
            <PasswordInput label="Repeat new password" autoComplete="new-password" required {...form.getInputProps('confirm')} />
            <Button type="submit" loading={reset.isPending} fullWidth>
              Change password
            </Button>
          </Stack>
        </form>
      )}
    </AuthCard>
  );
}

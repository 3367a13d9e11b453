import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { AuthCard, applyProblemToForm, focusFirstError } from '@saas/ui';
import { Link } from 'react-router';
import { PRODUCT_NAME } from '../config';
import { useForgotPassword } from './auth.queries';

export function ForgotPasswordPage() {
  const forgot = useForgotPassword();
  const form = useForm({
    initialValues: { email: '' },
    validate: { email: (v) => (/^\S+@\S+$/.test(v) ? null : 'Enter a valid email address') },
  });

  return (
    <AuthCard
      productName={PRODUCT_NAME}
      title="Reset your password"
      footer={
        <Anchor component={Link} to="/login" size="sm">
          Back to log in
        </Anchor>
      }
    >
      {forgot.isSuccess ? (
        <Alert color="teal" role="status" title="Check your inbox">
          If an account exists for {form.values.email}, we sent a link to reset the password. The link expires soon.
        </Alert>
      ) : (
        <form
          onSubmit={form.onSubmit(
            (v) => forgot.mutate(v.email, { onError: (e) => applyProblemToForm(form, e) }),
            (errors) => focusFirstError(form, errors),
          )}
          noValidate
        >
          <Stack>
            <Text size="sm">Enter your email and we’ll send you a link to choose a new password.</Text>
            <TextInput label="Email" type="email" autoComplete="email" required autoFocus {...form.getInputProps('email')} />
            <Button type="submit" loading={forgot.isPending} fullWidth>
              Send reset link
            </Button>
          </Stack>
        </form>
      )}
    </AuthCard>
  );
}

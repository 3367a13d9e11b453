import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { AuthCard, applyProblemToForm, focusFirstError, notifyError, safeNext, useSession } from '@saas/ui';
import { Link, Navigate, useLocation } from 'react-router';
import { SignupPlanChoice } from '../billing/signup-plan-choice';
import { PRODUCT_NAME } from '../config';
import { useResendVerification, useSignup } from './auth.queries';
import { PASSWORD_HINT, validateNewPassword } from './password-rules';

export function SignupPage() {
  const { status } = useSession();
  const signup = useSignup();
  const location = useLocation();
  const next = safeNext(location.search);
  const form = useForm({
    initialValues: { email: '', password: '', name: '', organization: '' },
    validate: {
      email: (v) => (/^\S+@\S+$/.test(v) ? null : 'Enter a valid email address'),
      password: validateNewPassword,
      name: (v) => (v.trim() ? null : 'Enter your name'),
      organization: (v) => (v.trim() ? null : 'Enter your organization’s name'),
    },
  });

  if (status === 'authenticated' && !signup.isPending) return <Navigate to={next} replace />;

  // The API answers the same whether the address is new or already has an account (it mails the owner
  // instead), so the page cannot and does not say which: it always asks to check the inbox.
  function submit(values: typeof form.values) {
    signup.mutate(
      { ...values, name: values.name.trim(), organization: values.organization.trim() },
      { onError: (e) => applyProblemToForm(form, e) },
    );
  }

  if (signup.isSuccess) return <CheckInbox email={form.values.email.trim()} loginSearch={location.search} />;

  return (
    <AuthCard
      productName={PRODUCT_NAME}
      title="Create your account"
      footer={
        <Text size="sm">
          Already have an account?{' '}
          <Anchor component={Link} to={`/login${location.search}`}>
            Log in
          </Anchor>
        </Text>
      }
    >
      <form onSubmit={form.onSubmit(submit, (errors) => focusFirstError(form, errors))} noValidate>
        <Stack>
          <TextInput label="Your name" autoComplete="name" required autoFocus {...form.getInputProps('name')} />
          <TextInput label="Email" type="email" autoComplete="email" required {...form.getInputProps('email')} />
          <PasswordInput
            label="Password"
            description={PASSWORD_HINT}
            autoComplete="new-password"
            required
            {...form.getInputProps('password')}
          />
          <TextInput
            label="Organization"
            description="The company your Odoo is for."
            autoComplete="organization"
            required
            {...form.getInputProps('organization')}
          />
          <SignupPlanChoice />
          <Button type="submit" loading={signup.isPending} fullWidth>
            Sign up
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}

/** After sign-up: confirm from the mail, then log in (the `next` of the sign-up is kept for the login). */
function CheckInbox({ email, loginSearch }: { email: string; loginSearch: string }) {
  const resend = useResendVerification();
  return (
    <AuthCard productName={PRODUCT_NAME} title="Check your inbox">
      <Stack>
        <Alert color="teal" role="status">
          We sent a message to {email}. Follow the link in it to confirm your address, then log in.
        </Alert>
        <Button component={Link} to={`/login${loginSearch}`} fullWidth>
          Log in
        </Button>
        <Button
          variant="subtle"
          loading={resend.isPending}
          disabled={resend.isSuccess}
          onClick={() => resend.mutate(email, { onError: (e) => notifyError(e) })}
        >
          {resend.isSuccess ? 'If a confirmation is pending, a new link is on its way' : 'No mail? Send it again'}
        </Button>
      </Stack>
    </AuthCard>
  );
}

import { Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { isApiProblem } from '@saas/api-client';
import { AuthCard, applyProblemToForm, focusFirstError, safeNext, useSession } from '@saas/ui';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { PRODUCT_NAME } from '../config';
import { useSignup } from './auth.queries';
import { PASSWORD_HINT, validateNewPassword } from './password-rules';

export function SignupPage() {
  const { status, login } = useSession();
  const signup = useSignup();
  const location = useLocation();
  const navigate = useNavigate();
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

  async function submit(values: typeof form.values) {
    try {
      await signup.mutateAsync({ ...values, name: values.name.trim(), organization: values.organization.trim() });
    } catch (e) {
      if (isApiProblem(e) && e.code === 'email_taken')
        form.setFieldError('email', 'An account with this email already exists. Log in instead.');
      else applyProblemToForm(form, e);
      return;
    }
    // The account exists now; signing in is a separate call that may fail independently.
    try {
      await login({ email: values.email, password: values.password });
      navigate(next, { replace: true });
    } catch {
      navigate('/login', { replace: true });
    }
  }

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
          <Button type="submit" loading={signup.isPending} fullWidth>
            Sign up
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}

import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { isApiProblem } from '@saas/api-client';
import { useState } from 'react';
import { focusFirstError, problemMessage } from '../forms/problem-form';
import { useSession } from '../session/session-context';

type Step = 'password' | 'totp';

export interface LoginFormProps {
  onSuccess: () => void;
}

/**
 * Email + password, then — when the API answers 401 `totp_required` — a second step
 * asking for the 6-digit authenticator code or a recovery code.
 */
export function LoginForm({ onSuccess }: LoginFormProps) {
  const { login } = useSession();
  const [step, setStep] = useState<Step>('password');
  const [useRecovery, setUseRecovery] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const form = useForm({
    initialValues: { email: '', password: '', totpCode: '', recoveryCode: '' },
    validate: {
      email: (v) => (/^\S+@\S+$/.test(v) ? null : 'Enter a valid email address'),
      password: (v) => (v ? null : 'Enter your password'),
      totpCode: (v) => (step === 'totp' && !useRecovery && !/^\d{6}$/.test(v) ? 'Enter the 6-digit code' : null),
      recoveryCode: (v) => (step === 'totp' && useRecovery && !v.trim() ? 'Enter a recovery code' : null),
    },
  });

  async function submit(values: typeof form.values) {
    setFormError(null);
    setSubmitting(true);
    try {
      await login({
        email: values.email,
        password: values.password,
        ...(step === 'totp' && !useRecovery ? { totpCode: values.totpCode } : {}),
        ...(step === 'totp' && useRecovery ? { recoveryCode: values.recoveryCode.trim() } : {}),
      });
      onSuccess();
    } catch (e) {
      if (!isApiProblem(e)) {
        setFormError(problemMessage(e));
      } else if (e.code === 'totp_required') {
        setStep('totp');
      } else if (e.code === 'invalid_totp') {
        form.setFieldError(
          useRecovery ? 'recoveryCode' : 'totpCode',
          useRecovery ? 'That recovery code is not valid.' : 'That code is not valid. Try the current one.',
        );
      } else if (e.code === 'invalid_credentials') {
        setStep('password');
        setFormError('Email or password is incorrect.');
      } else if (e.code === 'rate_limited') {
        setFormError(e.retryAfterSeconds ? `Too many attempts. Try again in ${e.retryAfterSeconds} seconds.` : e.detail);
      } else {
        setFormError(e.detail);
      }
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <form onSubmit={form.onSubmit(submit, (errors) => focusFirstError(form, errors))} noValidate>
      <Stack>
        {formError && (
          <Alert color="red" role="alert" variant="light">
            {formError}
          </Alert>
        )}
        {step === 'password' ? (
          <>
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              required
              data-autofocus
              autoFocus
              {...form.getInputProps('email')}
            />
            <PasswordInput label="Password" autoComplete="current-password" required {...form.getInputProps('password')} />
          </>
        ) : (
          <>
            <Text size="sm">Two-factor authentication is on for {form.values.email}.</Text>
            {useRecovery ? (
              <TextInput
                key="recovery"
                label="Recovery code"
                description="One of the codes you saved when you turned on two-factor authentication."
                autoComplete="off"
                autoFocus
                required
                {...form.getInputProps('recoveryCode')}
              />
            ) : (
              <TextInput
                key="totp"
                label="6-digit code from your authenticator app"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                autoFocus
                required
                {...form.getInputProps('totpCode')}
              />
            )}
            <Anchor
              component="button"
              type="button"
              size="sm"
              onClick={() => {
                setUseRecovery((v) => !v);
                form.clearErrors();
              }}
            >
              {useRecovery ? 'Use a code from the authenticator app' : 'Use a recovery code'}
            </Anchor>
          </>
        )}
        <Button type="submit" loading={submitting} fullWidth>
          {step === 'password' ? 'Log in' : 'Verify'}
        </Button>
        {step === 'totp' && (
          <Anchor
            component="button"
            type="button"
            size="sm"
            onClick={() => {
              setStep('password');
              setUseRecovery(false);
              form.setValues({ totpCode: '', recoveryCode: '' });
            }}
          >
            Back
          </Anchor>
        )}
      </Stack>
    </form>
  );
}

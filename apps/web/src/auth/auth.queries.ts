import { type ApiBody, unwrap } from '@saas/api-client';
import { useApi, useSession } from '@saas/ui';
import { useMutation } from '@tanstack/react-query';

export type SignupInput = ApiBody<'post', '/auth/signup'>;

export function useSignup() {
  const api = useApi();
  return useMutation({ mutationFn: (body: SignupInput) => unwrap(api.POST('/auth/signup', { body })) });
}

/** Confirms the address; this tab and the app's other tabs (where "Verify your email" shows) read `/me` again. */
export function useVerifyEmail() {
  const api = useApi();
  const { refreshMe } = useSession();
  return useMutation({
    mutationFn: (token: string) => unwrap(api.POST('/auth/verify-email', { body: { token } })),
    onSuccess: () => refreshMe(),
  });
}

/** Public: answers the same whether or not the address waits for confirmation, so it works before logging in. */
export function useResendVerification() {
  const api = useApi();
  return useMutation({ mutationFn: (email: string) => unwrap(api.POST('/auth/resend-verification', { body: { email } })) });
}

export function useForgotPassword() {
  const api = useApi();
  return useMutation({ mutationFn: (email: string) => unwrap(api.POST('/auth/forgot-password', { body: { email } })) });
}

export function useResetPassword() {
  const api = useApi();
  return useMutation({
    mutationFn: (body: ApiBody<'post', '/auth/reset-password'>) => unwrap(api.POST('/auth/reset-password', { body })),
  });
}

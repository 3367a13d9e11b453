import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './global.css';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { isApiProblem } from '@saas/api-client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { SessionProvider } from './session/session-context';
import { cssVariablesResolver, theme } from './theme';

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Client errors (4xx) won't fix themselves on retry.
        retry: (count, error) => count < 2 && !(isApiProblem(error) && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}

/** Mantine + notifications + TanStack Query + session, shared by both SPAs. */
export function AppProviders({ children, baseUrl }: { children: ReactNode; baseUrl?: string }) {
  const [queryClient] = useState(makeQueryClient);
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="light">
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <SessionProvider baseUrl={baseUrl}>{children}</SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}

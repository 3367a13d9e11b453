import { Center, Container, Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** Page heading; focusable so the layout can move focus to it after navigation. */
export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" mb="lg" wrap="wrap">
      <Title order={1} size="h2" tabIndex={-1}>
        {children}
      </Title>
      {actions}
    </Group>
  );
}

/** Centered card for the public pages (login, signup, password reset...). */
export function AuthCard({
  title,
  productName,
  children,
  footer,
}: {
  title: string;
  productName: string;
  children: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <Center mih="100vh" p="md" component="main">
      <Container size={420} w="100%" p={0}>
        <Stack gap="xs" align="center" mb="lg">
          <Text fw={700} size="lg">
            {productName}
          </Text>
          <Title order={1} size="h2" ta="center" tabIndex={-1}>
            {title}
          </Title>
        </Stack>
        <Paper withBorder shadow="sm" p="lg" radius="md">
          {children}
        </Paper>
        {footer && (
          <Stack gap={4} align="center" mt="md">
            {footer}
          </Stack>
        )}
      </Container>
    </Center>
  );
}

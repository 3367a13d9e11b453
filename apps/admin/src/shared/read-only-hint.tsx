import { Text } from '@mantine/core';
import { useIsPlatformAdmin } from '../app-layout';

/** Tells support staff why the page has no buttons to change things. */
export function ReadOnlyHint({ children = 'Your support role can view this page but not change it.' }: { children?: string }) {
  const isAdmin = useIsPlatformAdmin();
  if (isAdmin) return null;
  return (
    <Text size="sm" c="dimmed" mb="md">
      {children}
    </Text>
  );
}

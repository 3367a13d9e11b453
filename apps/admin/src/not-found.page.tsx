import { Anchor } from '@mantine/core';
import { AuthCard } from '@saas/ui';
import { Link } from 'react-router';
import { PRODUCT_NAME } from './config';

export function NotFoundPage() {
  return (
    <AuthCard productName={PRODUCT_NAME} title="Page not found">
      <Anchor component={Link} to="/">
        Go to the overview
      </Anchor>
    </AuthCard>
  );
}

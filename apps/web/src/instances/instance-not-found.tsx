import { Button } from '@mantine/core';
import { isApiProblem } from '@saas/api-client';
import { EmptyState, ErrorState, PageTitle } from '@saas/ui';
import { Link } from 'react-router';

/** 404 (deleted, or another tenant's) gets a way back; anything else a retry. */
export function InstanceNotFound({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  if (isApiProblem(error) && error.status === 404) {
    return (
      <>
        <PageTitle>Instance not found</PageTitle>
        <EmptyState
          title="This instance does not exist"
          description="It may have been deleted, or it belongs to an organization you are not a member of."
          action={
            <Button component={Link} to="/instances">
              Back to instances
            </Button>
          }
        />
      </>
    );
  }
  return <ErrorState title="Could not load the instance" error={error} onRetry={onRetry} />;
}

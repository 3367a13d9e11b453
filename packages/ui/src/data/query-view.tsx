import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorState, LoadingState } from '../states/states';

export interface QueryViewProps<T> {
  query: UseQueryResult<T>;
  /** Announced while the first load is pending, e.g. "Loading plans…". */
  loadingLabel: string;
  /** Shown instead of `children` when the data is empty. */
  empty: ReactNode;
  /** Whether the data counts as empty; by default, an empty array. */
  isEmpty?: (data: T) => boolean;
  /**
   * When a background refresh fails, keep showing the last data instead of the error. Without it, any
   * error replaces the data.
   */
  keepDataOnError?: boolean;
  children: (data: T) => ReactNode;
}

const isEmptyArray = (data: unknown) => Array.isArray(data) && data.length === 0;

/** The loading, error, empty and loaded states of one query, so pages only describe the loaded one. */
export function QueryView<T>({ query, loadingLabel, empty, isEmpty = isEmptyArray, keepDataOnError = false, children }: QueryViewProps<T>) {
  if (query.isPending) return <LoadingState label={loadingLabel} />;
  if (query.data === undefined || (query.isError && !keepDataOnError)) {
    return <ErrorState error={query.error} onRetry={() => query.refetch()} />;
  }
  if (isEmpty(query.data)) return empty;
  return children(query.data);
}

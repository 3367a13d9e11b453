import { Box } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Pager } from '../states/pager';
import { ErrorState } from '../states/states';
import { DataTable, type DataTableProps } from './data-table';
import { QueryView } from './query-view';
import { SearchField, type SearchFieldProps } from './search-field';

/** What a list route answers: all rows, or one page of them (`{ items, total }`). */
export type ListData<T> = T[] | { items: T[]; total: number };

export interface QueryTableProps<T> extends Omit<DataTableProps, 'children'> {
  query: UseQueryResult<ListData<T>>;
  /** Announced while the first load is pending; by default "Loading <label>…". */
  loadingLabel?: string;
  /** Shown instead of the table when there are no rows. */
  empty: ReactNode;
  /** When a background refresh fails, keep the last rows on screen (marked stale) instead of the error. */
  keepDataOnError?: boolean;
  /** A search box above the table, kept while the results load. */
  search?: SearchFieldProps;
  /** For a paged list: where the page starts and how to move to another. */
  paging?: { limit: number; offset: number; onChange: (offset: number) => void };
  /** One row per item: a Table.Tr with its key. */
  children: (item: T) => ReactNode;
}

const rowsOf = <T,>(data: ListData<T>) => (Array.isArray(data) ? data : data.items);

/** An API list as a DataTable, with its loading, error and empty states, and its search box and pager if any. */
export function QueryTable<T>({
  query,
  loadingLabel,
  empty,
  keepDataOnError = false,
  search,
  paging,
  children,
  ...tableProps
}: QueryTableProps<T>) {
  const list = (
    <QueryView
      query={query}
      loadingLabel={loadingLabel ?? `Loading ${tableProps.label.toLowerCase()}…`}
      empty={empty}
      keepDataOnError={keepDataOnError}
      isEmpty={(data) => rowsOf(data).length === 0}
    >
      {(data) => (
        <>
          {query.isError && (
            <Box mb="md">
              <ErrorState error={query.error} title="Could not refresh; showing the last list" onRetry={() => query.refetch()} />
            </Box>
          )}
          <DataTable aria-busy={query.isFetching} {...tableProps}>
            {rowsOf(data).map(children)}
          </DataTable>
          {paging && !Array.isArray(data) && <Pager total={data.total} {...paging} />}
        </>
      )}
    </QueryView>
  );
  if (!search) return list;
  return (
    <>
      <SearchField mb="md" {...search} />
      {list}
    </>
  );
}

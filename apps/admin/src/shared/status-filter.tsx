import { Button, Select } from '@mantine/core';
import { EmptyState } from '@saas/ui';
import { useUrlParams } from './url-params';

const ALL = 'all';

export interface StatusOption<S extends string> {
  value: S;
  label: string;
}

/** Options labelled by the raw status, capitalised (the names operators filter by). */
export function rawStatusOptions<S extends string>(statuses: readonly S[]): StatusOption<S>[] {
  return statuses.map((s) => ({ value: s, label: s.charAt(0).toUpperCase() + s.slice(1) }));
}

/**
 * A list page's URL parameters (see useUrlParams) with its `status` filter read and narrowed; setting
 * the status goes back to the first page.
 */
export function useStatusParams<S extends string>(isStatus: (v: string | null) => v is S) {
  const url = useUrlParams();
  const raw = url.params.get('status');
  const status = isStatus(raw) ? raw : undefined;
  const setStatus = (value: S | undefined) => url.update({ status: value ?? '', offset: '' });
  return { ...url, status, setStatus };
}

export interface StatusFilterProps<S extends string> {
  status: S | undefined;
  onChange: (status: S | undefined) => void;
  /** What no filter shows, e.g. "All statuses". */
  allLabel: string;
  options: StatusOption<S>[];
  mb?: string;
}

/** The status select of an admin list. */
export function StatusFilter<S extends string>({ status, onChange, allLabel, options, mb }: StatusFilterProps<S>) {
  return (
    <Select
      label="Status"
      data={[{ value: ALL, label: allLabel }, ...options]}
      value={status ?? ALL}
      allowDeselect={false}
      onChange={(v) => onChange(v && v !== ALL ? (v as S) : undefined)}
      w={220}
      mb={mb}
    />
  );
}

/** An empty list; when a filter caused it, with the way back to all statuses. */
export function FilteredEmptyState({ title, description, onShowAll }: { title: string; description: string; onShowAll?: () => void }) {
  return (
    <EmptyState
      title={title}
      description={description}
      action={
        onShowAll && (
          <Button variant="default" size="xs" onClick={onShowAll}>
            Show all statuses
          </Button>
        )
      }
    />
  );
}

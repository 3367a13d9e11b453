import { useSearchParams } from 'react-router';

/**
 * A list page's filters and page offset, kept in the URL so a filtered view can be linked. `update` sets
 * several at once (an empty value removes one) and replaces the history entry, so Back leaves the page.
 */
export function useUrlParams() {
  const [params, setParams] = useSearchParams();
  const offset = Math.max(0, Number(params.get('offset')) || 0);

  function update(changes: Record<string, string>) {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  }

  const setOffset = (value: number) => update({ offset: value ? String(value) : '' });

  return { params, offset, update, setOffset };
}

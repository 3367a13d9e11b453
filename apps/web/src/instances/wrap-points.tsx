import { Fragment } from 'react';

/**
 * Lets long names, URLs and URNs wrap after `.`, `/` or `:` (erp.example.<wbr>com) rather than
 * inside a word on narrow screens. The text itself is unchanged: copying still gives it exactly.
 */
export function withWrapPoints(value: string) {
  return value.split(/(?<=[.:/])/).map((part, i) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one string never reorder
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {part}
    </Fragment>
  ));
}

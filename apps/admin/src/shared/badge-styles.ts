/**
 * Sentence-case badges that keep their full text: in a squeezed table column Mantine would
 * otherwise cut "Expires in 5 days" down to "Expires in 5 d…".
 */
export const badgeStyles = { root: { textTransform: 'none', minWidth: 'max-content' } } as const;

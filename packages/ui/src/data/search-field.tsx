import { TextInput, type TextInputProps } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';

export interface SearchFieldProps extends Omit<TextInputProps, 'type' | 'value' | 'onChange'> {
  label: string;
  value: string;
  onChange: (value: string) => void;
}

/** A labelled search or filter box; pair it with `useSearchTerm` so lists are not asked once per keystroke. */
export function SearchField({ value, onChange, maw = 360, ...inputProps }: SearchFieldProps) {
  return <TextInput type="search" value={value} onChange={(e) => onChange(e.currentTarget.value)} maw={maw} {...inputProps} />;
}

/** The trimmed text once typing has paused for 300 ms, or undefined when there is none: what to send to the API. */
export function useSearchTerm(text: string): string | undefined {
  const [term] = useDebouncedValue(text.trim(), 300);
  return term || undefined;
}

/**
 * A searchable, paged list's state: `field` goes to a SearchField, `term` to the API, and a new search
 * starts again at the first page. `initialText` pre-fills it (e.g. from a link's `?q=`).
 */
export function useSearchPaging(initialText = '') {
  const [text, setText] = useState(initialText);
  const term = useSearchTerm(text);
  const [offset, setOffset] = useState(0);
  const onChange = (value: string) => {
    setText(value);
    setOffset(0);
  };
  return { field: { value: text, onChange }, term, offset, setOffset };
}

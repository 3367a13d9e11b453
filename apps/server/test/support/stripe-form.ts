/** A form body as the Stripe SDK sends it, decoded: nested objects and arrays of strings. */
export interface Form {
  [key: string]: string | Form | Form[] | string[] | undefined;
}

/**
 * Decodes `a[b][0][c]=v` keys (the SDK's qs encoding, arrays by index) into nested objects and arrays.
 * Values stay strings, as Stripe receives them.
 */
export function parseForm(body: string): Form {
  const root: Form = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> | unknown[] = root;
    path.forEach((segment, i) => {
      const slot: string | number = Array.isArray(node) ? (segment === '' ? node.length : Number(segment)) : segment;
      const container = node as Record<string | number, unknown>;
      if (i === path.length - 1) {
        container[slot] = value;
        return;
      }
      if (container[slot] === undefined) container[slot] = /^\d*$/.test(path[i + 1] as string) ? [] : {};
      node = container[slot] as Record<string, unknown> | unknown[];
    });
  }
  return root;
}

/** The value at a dotted path (`recurring.interval`), when it is a string. */
export function formString(form: Form, path: string): string | null {
  let node: unknown = form;
  for (const segment of path.split('.')) {
    if (!node || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[segment];
  }
  return typeof node === 'string' ? node : null;
}

export function formNumber(form: Form, path: string): number | null {
  const value = formString(form, path);
  return value === null || value === '' || Number.isNaN(Number(value)) ? null : Number(value);
}

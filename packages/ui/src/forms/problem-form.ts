import { notifications } from '@mantine/notifications';
import { isApiProblem } from '@saas/api-client';
import type { ReactNode } from 'react';

/** The part of a @mantine/form form these helpers need. */
export interface ErrorTarget {
  setErrors: (errors: Record<string, ReactNode>) => void;
  getValues: () => object;
  /** @mantine/form's lookup of an input by path (used to move focus to the first error). */
  getInputNode?: (path: string) => HTMLElement | null;
}

export function problemMessage(error: unknown): string {
  if (isApiProblem(error)) return error.detail;
  if (error instanceof Error) return error.message;
  return 'Unexpected error';
}

export function notifyError(error: unknown, title?: string): void {
  notifications.show({
    color: 'red',
    title: title ?? (isApiProblem(error) ? error.title : 'Error'),
    message: problemMessage(error),
    closeButtonProps: CLOSE_BUTTON,
  });
}

/** Mantine's close button has no accessible name of its own (axe: button-name). */
const CLOSE_BUTTON = { 'aria-label': 'Close notification' };

export function notifySuccess(message: string, title?: string): void {
  notifications.show({ color: 'teal', title, message, closeButtonProps: CLOSE_BUTTON });
}

// The API names body fields plainly ("email", "members.0.role"); query and path fields carry a
// prefix ("query.limit") and never belong to a form. JSON-pointer style ("/email") is tolerated.
function formKey(field: string): string | null {
  if (/^(query|params|path|headers)[./]/.test(field)) return null;
  return field.replace(/^\//, '').replaceAll('/', '.');
}

/**
 * Moves keyboard focus to the first invalid input, in the order the form declares its values,
 * so screen-reader users land on the error. Pass it as the second argument of `form.onSubmit`.
 */
export function focusFirstError(form: ErrorTarget, errors: Record<string, ReactNode>): void {
  if (!form.getInputNode) return;
  const order = Object.keys(form.getValues());
  const keys = Object.keys(errors).sort((a, b) => rank(order, a) - rank(order, b));
  // After React has rendered the error messages (aria-invalid, aria-describedby).
  requestAnimationFrame(() => {
    for (const key of keys) {
      const node = form.getInputNode?.(key);
      if (node) {
        node.focus();
        return;
      }
    }
  });
}

function rank(order: string[], key: string): number {
  const i = order.indexOf(key.split('.')[0] ?? key);
  return i === -1 ? order.length : i;
}

/**
 * Shows an API error on a form: field errors the form knows go under their inputs,
 * everything else (and errors without fields) goes to a notification.
 * `fieldMap` renames API fields to form fields (e.g. { newPassword: 'password' }).
 */
export function applyProblemToForm(form: ErrorTarget, error: unknown, fieldMap: Record<string, string> = {}): void {
  if (!isApiProblem(error) || error.fieldErrors.length === 0) {
    notifyError(error);
    return;
  }
  const values = form.getValues() as Record<string, unknown>;
  const errors: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const fe of error.fieldErrors) {
    const key = fieldMap[fe.field] ?? formKey(fe.field);
    if (key && (key.split('.')[0] ?? key) in values) errors[key] = errors[key] ? `${errors[key]} ${fe.message}` : fe.message;
    else unplaced.push(fe.message);
  }
  form.setErrors(errors);
  focusFirstError(form, errors);
  if (unplaced.length > 0 || Object.keys(errors).length === 0) {
    notifications.show({ color: 'red', title: error.title, message: unplaced.join(' ') || error.detail });
  }
}

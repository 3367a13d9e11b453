import { isApiProblem } from '@saas/api-client';
import { notifications } from '@mantine/notifications';
import type { ReactNode } from 'react';

/** The part of a @mantine/form form these helpers need. */
export interface ErrorTarget {
  setErrors: (errors: Record<string, ReactNode>) => void;
  getValues: () => object;
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
  });
}

export function notifySuccess(message: string, title?: string): void {
  notifications.show({ color: 'teal', title, message });
}

// Validation paths may arrive as "body.password" or "/password"; forms key by plain name.
function formKey(field: string): string {
  return field.replace(/^(body|query|params)[./]/, '').replace(/^\//, '').replaceAll('/', '.');
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
    if (key.split('.')[0]! in values) errors[key] = errors[key] ? `${errors[key]} ${fe.message}` : fe.message;
    else unplaced.push(fe.message);
  }
  form.setErrors(errors);
  if (unplaced.length > 0 || Object.keys(errors).length === 0) {
    notifications.show({ color: 'red', title: error.title, message: unplaced.join(' ') || error.detail });
  }
}

export const PASSWORD_HINT = 'At least 10 characters. Common passwords are not accepted.';

export function validateNewPassword(value: string): string | null {
  return value.length >= 10 ? null : 'Use at least 10 characters';
}

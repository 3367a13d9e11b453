// Set when a signed-in account without a platform role is logged out, so the login page
// can explain why (the session guard's redirect to /login would otherwise drop that reason).
let denied = false;

export function markAccessDenied(): void {
  denied = true;
}

export function wasAccessDenied(): boolean {
  return denied;
}

export function clearAccessDenied(): void {
  denied = false;
}

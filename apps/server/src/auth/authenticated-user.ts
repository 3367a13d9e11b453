import type { PlatformRole } from './auth.schemas.js';

/** Who is calling: the user behind a live session, as the access check resolved them. */
export interface AuthenticatedUser {
  userId: string;
  sessionId: string;
  email: string;
  platformRole: PlatformRole | null;
  emailVerified: boolean;
  totpEnabled: boolean;
  /** Set when a platform operator is acting as this user (support impersonation, docs/admin.md). */
  impersonator: { id: string; email: string } | null;
}

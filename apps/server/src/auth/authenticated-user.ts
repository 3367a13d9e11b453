import type { PlatformRole } from './auth.schemas.js';

/** Who is calling: the user behind a live session, as the access check resolved them. */
export interface AuthenticatedUser {
  userId: string;
  sessionId: string;
  email: string;
  platformRole: PlatformRole | null;
  emailVerified: boolean;
  totpEnabled: boolean;
}

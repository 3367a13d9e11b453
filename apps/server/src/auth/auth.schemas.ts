import { z } from 'zod';
import { PASSWORD_MAX_LENGTH } from './password.js';
import type { UserRow } from './users.repo.js';

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address.' }))
  .transform((v) => v.toLowerCase());
/** Strength is checked by the service (it needs the user's name and email); here only the bounds. */
export const passwordSchema = z.string().min(1).max(PASSWORD_MAX_LENGTH);
export const personNameSchema = z.string().trim().min(1).max(120);
export const tokenSchema = z.string().min(16).max(256);

export const platformRoleSchema = z.enum(['admin', 'support']);
export type PlatformRole = z.infer<typeof platformRoleSchema>;

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    emailVerified: z.boolean(),
    platformRole: platformRoleSchema.nullable(),
    totpEnabled: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'User' });

export const toUserDto = (user: UserRow): z.infer<typeof userSchema> => ({
  id: user.id,
  email: user.email,
  name: user.name,
  emailVerified: Boolean(user.emailVerifiedAt),
  platformRole: user.platformRole,
  totpEnabled: Boolean(user.totpEnabledAt),
  createdAt: user.createdAt.toISOString(),
});

export const accessTokenSchema = z
  .object({ accessToken: z.string(), expiresIn: z.number().int().describe('Seconds until the access token expires') })
  .meta({ id: 'AccessToken' });

export const signupBody = z.object({
  email: emailSchema,
  password: passwordSchema,
  name: personNameSchema,
  organization: z.string().trim().min(1).max(120),
});

/** The one answer to a sign-up, whether it created an account or mailed the address's existing owner. */
export const signupAcceptedSchema = z
  .object({
    status: z.literal('check_your_mail'),
    message: z.string(),
  })
  .meta({ id: 'SignupAccepted' });

export const loginBody = z.object({
  email: emailSchema,
  password: passwordSchema,
  totpCode: z.string().trim().max(10).optional(),
  recoveryCode: z.string().trim().max(40).optional(),
});

export const tokenBody = z.object({ token: tokenSchema });
export const emailBody = z.object({ email: emailSchema });
export const resetPasswordBody = z.object({ token: tokenSchema, password: passwordSchema });

export const sessionSchema = z
  .object({
    id: z.uuid(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    current: z.boolean(),
    /** A support impersonation session: platform staff viewing the account (docs/admin.md); the user may end it. */
    support: z.boolean(),
  })
  .meta({ id: 'Session' });

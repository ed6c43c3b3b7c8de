/** Input/output schemas shared by services, routers and the CLI. Every string and array is bounded. */
import { z } from "zod";

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "email is longer than 254 characters")
  .email("not a valid email address");

export const ZPassword = z
  .string()
  .min(8, "password must have at least 8 characters")
  .max(200, "password must have at most 200 characters");

export const ZName = z.string().trim().min(1, "name is empty").max(100, "name is longer than 100 characters");

export const ZSlug = z
  .string()
  .trim()
  .min(2, "slug must have at least 2 characters")
  .max(48, "slug must have at most 48 characters")
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "slug may contain lowercase letters, digits and inner hyphens only");

export const ZRole = z.enum(["OWNER", "EDITOR", "VIEWER"]);
export type Role = z.infer<typeof ZRole>;

export const ZSignUp = z.object({ email: ZEmail, password: ZPassword, name: ZName.optional() });
export type SignUp = z.infer<typeof ZSignUp>;

export const ZUserOut = z.object({ userId: z.string(), email: z.string(), name: z.string().nullable() });
export type UserOut = z.infer<typeof ZUserOut>;

export const ZWorkspaceCreate = z.object({ slug: ZSlug, name: ZName.optional() });

export const ZWorkspaceSummary = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  role: ZRole,
  memberCount: z.number().int(),
});
export type WorkspaceSummary = z.infer<typeof ZWorkspaceSummary>;

export const ZMember = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: ZRole,
  joinedAt: z.date(),
});
export type Member = z.infer<typeof ZMember>;

export const ZInviteCreated = z.object({ token: z.string(), url: z.string(), role: ZRole, expiresAt: z.date() });
export const ZInviteToken = z.string().trim().min(20, "invite token is too short").max(200, "invite token is too long");

export const ZInvitePreview = z.object({
  workspaceSlug: z.string(),
  workspaceName: z.string(),
  role: ZRole,
  expiresAt: z.date(),
  invitedBy: z.string(),
});

/** Accounts: sign-up with an argon2id password hash, credential checks. */
import { hash, verify } from "@node-rs/argon2";
import { AppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { ZSignUp, type SignUp, type UserOut } from "./schemas";
import { parseInput } from "./validate";

// A hash of a random password, so that an unknown email costs as much time as a wrong password.
let dummyHash: Promise<string> | undefined;

export async function createUser(db: Db, input: SignUp): Promise<UserOut> {
  const { email, password, name } = parseInput(ZSignUp, input, "sign-up");
  const existing = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) throw new AppError("CONFLICT", `an account with the email ${email} already exists; sign in instead`);
  const passwordHash = await hash(password);
  try {
    const user = await db.user.create({
      data: { email, name: name ?? null, passwordHash },
      select: { id: true, email: true, name: true },
    });
    return { userId: user.id, email: user.email, name: user.name };
  } catch (e) {
    if ((e as { code?: string }).code === "P2002") {
      throw new AppError("CONFLICT", `an account with the email ${email} already exists; sign in instead`);
    }
    throw e;
  }
}

/** The user for these credentials, or UNAUTHENTICATED without saying which half was wrong. */
export async function verifyCredentials(db: Db, emailRaw: string, password: string): Promise<UserOut> {
  const email = emailRaw.trim().toLowerCase();
  const user = await db.user.findUnique({ where: { email }, select: { id: true, email: true, name: true, passwordHash: true } });
  if (!user?.passwordHash) {
    dummyHash ??= hash(Math.random().toString(36));
    await verify(await dummyHash, password).catch(() => false);
    throw new AppError("UNAUTHENTICATED", "wrong email or password");
  }
  const ok = await verify(user.passwordHash, password).catch(() => false);
  if (!ok) throw new AppError("UNAUTHENTICATED", "wrong email or password");
  return { userId: user.id, email: user.email, name: user.name };
}

export async function findUserByEmail(db: Db, email: string): Promise<UserOut | null> {
  const u = await db.user.findUnique({ where: { email: email.trim().toLowerCase() }, select: { id: true, email: true, name: true } });
  return u ? { userId: u.id, email: u.email, name: u.name } : null;
}

export async function getUser(db: Db, userId: string): Promise<UserOut> {
  const u = await db.user.findUnique({ where: { id: userId }, select: { id: true, email: true, name: true } });
  if (!u) throw new AppError("UNAUTHENTICATED", "your account no longer exists; sign in again");
  return { userId: u.id, email: u.email, name: u.name };
}

/**
 * Whether a user (a session's subject) still exists: a session can outlive its user (a reset
 * database). Every tRPC call asks, so through node-postgres rather than Prisma's query pipeline.
 */
export async function userExists(db: Db, userId: string): Promise<boolean> {
  const r = await pgPool(db).query(`SELECT 1 FROM "User" WHERE id = $1`, [userId]);
  return r.rowCount === 1;
}

/**
 * Rate limits shared by every web process: fixed-window counters in PostgreSQL (table
 * RateLimitBucket), spent with one atomic upsert, so two processes behind a load balancer count
 * together and a restart of the web process forgets nothing. A spend commits without waiting for
 * the disk (`synchronous_commit` off for that statement: every other process sees it at once, and
 * a match click no longer waits for an fsync); a crash of PostgreSQL itself may forget the last
 * fraction of a second of counts (its WAL writer flushes every 200 ms).
 *
 * A limit is declared once with `defineRateLimit` and spent on a subject — an account, a user, a
 * client address, a classroom session, a credential. Pick subjects for who is being protected:
 * sign-in counts per account, per account + address and per address; a classroom's guest joins
 * (many people behind one school address is the normal case) must count per session and per
 * credential, never per address alone.
 */
import { createHash } from "node:crypto";
import { AppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";

export interface RateLimit {
  /** Stable name; part of the stored key. */
  name: string;
  /** Points (usually attempts) allowed per window. */
  points: number;
  windowSeconds: number;
  /** What is counted, for the refusal: "failed sign-ins for this account". */
  what: string;
}

export function defineRateLimit(limit: RateLimit): RateLimit {
  if (!/^[a-z0-9:+._-]{1,60}$/.test(limit.name)) throw new Error(`rate limit name ${JSON.stringify(limit.name)}: lowercase letters, digits and :+._- only`);
  if (!(limit.points >= 1 && limit.windowSeconds >= 1)) throw new Error(`rate limit ${limit.name}: points and windowSeconds must be ≥ 1`);
  return Object.freeze({ ...limit });
}

const MINUTE = 60;

/** The limits of the web app. Numbers are per window; see README "Rate limits". */
export const LIMITS = {
  /** Guessing one account's password from one network. */
  signInAccountAddress: defineRateLimit({ name: "signin:account+address", points: 10, windowSeconds: 15 * MINUTE, what: "failed sign-ins for this account from your network" }),
  /** Guessing one account's password from many networks. */
  signInAccount: defineRateLimit({ name: "signin:account", points: 50, windowSeconds: 15 * MINUTE, what: "failed sign-ins for this account" }),
  /** Trying many accounts from one network (credential stuffing). */
  signInAddress: defineRateLimit({ name: "signin:address", points: 100, windowSeconds: 15 * MINUTE, what: "failed sign-ins from your network" }),
  signUpAddress: defineRateLimit({ name: "signup:address", points: 30, windowSeconds: 60 * MINUTE, what: "new accounts from your network" }),
  inviteRedeemUser: defineRateLimit({ name: "invite:user", points: 20, windowSeconds: 10 * MINUTE, what: "failed invite redemptions for your account" }),
  inviteRedeemAddress: defineRateLimit({ name: "invite:address", points: 60, windowSeconds: 10 * MINUTE, what: "failed invite redemptions from your network" }),
  /** Match queries that were not in the result store (each one is a worker job). */
  matchJobsUser: defineRateLimit({ name: "match:user", points: 300, windowSeconds: 10 * MINUTE, what: "new match queries" }),
  /**
   * Classroom joins, per session (never per address: a whole class joins from one school's
   * address): a flood of joins to one session is cut off here. Counted from the session's
   * participants (services/classroom/sessions.ts), not a bucket row every join would queue on.
   */
  classJoinSession: defineRateLimit({ name: "class:join+session", points: 3000, windowSeconds: 10 * MINUTE, what: "joins to this session" }),
  /** Wrong join codes from one network: guessing codes, not joining (a right code costs nothing). */
  classJoinMissAddress: defineRateLimit({ name: "class:miss+address", points: 100, windowSeconds: 10 * MINUTE, what: "unknown join codes from your network" }),
} as const;

/** One counter to spend on: a limit and the subject it counts for. */
export type Spend = readonly [limit: RateLimit, subject: string];

/** The stored key of a counter (RateLimitBucket.key): the limit's name and a hash of the subject. */
export function rateLimitKey([limit, subject]: Spend): string {
  return `${limit.name}:${createHash("sha256").update(subject).digest("hex").slice(0, 32)}`;
}

/** A wait for people: "40 s", "15 min", "2 h". */
export function humanSeconds(s: number): string {
  if (s < 90) return `${Math.max(1, Math.ceil(s))} s`;
  if (s < 90 * MINUTE) return `${Math.ceil(s / MINUTE)} min`;
  return `${Math.ceil(s / 3600)} h`;
}

function refusal(over: { limit: RateLimit; retryAfter: number }[]): AppError {
  const worst = over.reduce((a, b) => (b.retryAfter > a.retryAfter ? b : a));
  const retryAfterSeconds = Math.max(1, Math.ceil(worst.retryAfter));
  return new AppError(
    "TOO_MANY_REQUESTS",
    `too many ${worst.limit.what} (at most ${worst.limit.points} in ${humanSeconds(worst.limit.windowSeconds)}): try again in ${humanSeconds(retryAfterSeconds)}`,
    { retryAfterSeconds },
  );
}

interface Bucket {
  key: string;
  points: number;
  retryAfter: number;
}

const READ = `select key, points, extract(epoch from ("resetAt" - now()))::float8 as "retryAfter"
  from "RateLimitBucket" where key = any($1::text[]) and "resetAt" > now()`;

// One round trip: counters already over their limit ("over") refuse the spend and are returned;
// otherwise every counter is spent ("spent", with its new total), and a counter whose window has
// ended starts over. Concurrent spends serialise on the rows, so each sees its own total.
const SPEND = `with async as (select set_config('synchronous_commit', 'off', true)
  ), want as (
    select k, w, lim from unnest($1::text[], $2::float8[], $4::int[]) as t(k, w, lim), async
  ), over as (
    select b.key, b.points, extract(epoch from (b."resetAt" - now()))::float8 as "retryAfter"
    from "RateLimitBucket" b join want on b.key = want.k
    where b."resetAt" > now() and b.points + $3::int > want.lim
  ), spent as (
    insert into "RateLimitBucket" as b (key, points, "resetAt")
    select k, $3::int, now() + make_interval(secs => w) from want where not exists (select 1 from over)
    on conflict (key) do update set
      points = case when b."resetAt" <= now() then excluded.points else b.points + excluded.points end,
      "resetAt" = case when b."resetAt" <= now() then excluded."resetAt" else b."resetAt" end
    returning key, points, extract(epoch from ("resetAt" - now()))::float8 as "retryAfter"
  )
  select true as over, key, points, "retryAfter" from over
  union all select false as over, key, points, "retryAfter" from spent`;

const REFUND = `update "RateLimitBucket" set points = greatest(points - $2::int, 0) where key = any($1::text[]) and "resetAt" > now()`;

const PURGE = `delete from "RateLimitBucket" where key in (select key from "RateLimitBucket" where "resetAt" < now() - interval '1 minute' limit 1000)`;

/**
 * Spends `points` on every counter, or throws TOO_MANY_REQUESTS (with `retryAfterSeconds`) when
 * any of them is over its limit. A counter already over refuses without spending anything (a
 * refused attempt on one account costs the others nothing); otherwise all are spent at once and
 * the spend that crosses a limit is refused, so concurrent callers are cut off exactly at it.
 * One statement, one round trip.
 */
export async function spend(db: Db, spends: readonly Spend[], points = 1): Promise<void> {
  if (spends.length === 0) return;
  const pool = pgPool(db);
  const keys = spends.map(rateLimitKey);
  const limitOf = new Map(keys.map((k, i) => [k, spends[i]![0]]));
  const rows = (
    await pool.query<Bucket & { over: boolean }>({ name: "rate-limit-spend", text: SPEND, values: [keys, spends.map(([l]) => l.windowSeconds), points, spends.map(([l]) => l.points)] })
  ).rows;
  if (Math.random() < 0.01) void pool.query(PURGE).catch(() => undefined); // expired counters, now and then
  const over = rows.filter((r) => r.over || r.points > limitOf.get(r.key)!.points);
  if (over.length) throw refusal(over.map((r) => ({ limit: limitOf.get(r.key)!, retryAfter: r.retryAfter })));
}

/** Seconds until none of the counters is over its limit any more (0: none is over now). */
export async function retryAfter(db: Db, spends: readonly Spend[]): Promise<number> {
  if (spends.length === 0) return 0;
  const keys = spends.map(rateLimitKey);
  const limitOf = new Map(keys.map((k, i) => [k, spends[i]![0]]));
  const rows = (await pgPool(db).query<Bucket>(READ, [keys])).rows.filter((r) => r.points >= limitOf.get(r.key)!.points);
  return rows.length ? Math.max(1, Math.ceil(Math.max(...rows.map((r) => r.retryAfter)))) : 0;
}

/** Gives back points spent on an attempt that turned out fine (a correct password). */
export async function refund(db: Db, spends: readonly Spend[], points = 1): Promise<void> {
  if (spends.length === 0) return;
  await pgPool(db).query(REFUND, [spends.map(rateLimitKey), points]);
}

/**
 * Runs `attempt` after spending on `spends`; when it succeeds the points are given back, so only
 * failures (and attempts in flight) count against the limits.
 */
export async function limitFailures<T>(db: Db, spends: readonly Spend[], attempt: () => Promise<T>): Promise<T> {
  await spend(db, spends);
  const result = await attempt();
  await refund(db, spends);
  return result;
}

/** The counters of one sign-in attempt. */
export function signInSpends(email: string, address: string): Spend[] {
  const account = email.trim().toLowerCase();
  return [
    [LIMITS.signInAccountAddress, `${account} ${address}`],
    [LIMITS.signInAccount, account],
    [LIMITS.signInAddress, address],
  ];
}

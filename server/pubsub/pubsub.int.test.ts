/**
 * The pub/sub contract, run against Postgres (NOTIFY/LISTEN on a real server) and the in-memory
 * hub: what a subscriber can rely on whichever carries the messages. Then what only Postgres
 * does: publishing inside a transaction.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createMemoryHub } from "./memory";
import { createPgPubSub, LISTENER_APPLICATION_NAME, publish } from "./pg";
import { defineChannel, MAX_PAYLOAD_BYTES, type PubSub } from "./pubsub";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.drop();
});

const PING = defineChannel("test_ping", z.object({ n: z.number().int(), text: z.string().max(7000).optional() }));
const OTHER = defineChannel("test_other", z.object({ s: z.string() }));

interface Transport {
  /** Two processes' ends on one transport. */
  pair(logs: string[]): [PubSub, PubSub];
  /** Drop `end`'s connection as a server restart would. */
  cut(end: PubSub): Promise<void>;
}

const hub = createMemoryHub();
const transports: [string, () => Transport][] = [
  [
    "postgres",
    () => ({
      pair: (logs) => [createPgPubSub({ connectionString: t.url, log: (l) => logs.push(l) }), createPgPubSub({ connectionString: t.url, log: (l) => logs.push(l) })],
      async cut() {
        const admin = new pg.Client({ connectionString: t.url });
        await admin.connect();
        await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()", [LISTENER_APPLICATION_NAME]);
        await admin.end();
      },
    }),
  ],
  [
    "memory",
    () => ({
      pair: (logs) => [hub.connect({ log: (l) => logs.push(l) }), hub.connect({ log: (l) => logs.push(l) })],
      async cut(end) {
        (end as ReturnType<typeof hub.connect>).interrupt();
      },
    }),
  ],
];

/** Messages a subscriber received, and a way to wait for them. */
function inbox<T>() {
  const got: T[] = [];
  let resyncs = 0;
  return {
    got,
    get resyncs() {
      return resyncs;
    },
    subscriber: { message: (m: T) => void got.push(m), resync: () => void resyncs++ },
  };
}

describe.each(transports)("pub/sub contract: %s", (_name, make) => {
  it("delivers each published message, checked against the channel's schema, to every subscriber of that channel, in order", async () => {
    const logs: string[] = [];
    const tr = make();
    const [a, b] = tr.pair(logs);
    try {
      const onA = inbox<z.output<typeof PING.schema>>();
      const onB = inbox<z.output<typeof PING.schema>>();
      const other = inbox<unknown>();
      await a.subscribe(PING, onA.subscriber);
      await b.subscribe(PING, onB.subscriber);
      await b.subscribe(OTHER, other.subscriber);
      expect(a.subscribers(PING)).toBe(1);
      await a.publish([PING.notification({ n: 1 }), PING.notification({ n: 2 })]);
      await b.publish([PING.notification({ n: 3, text: "é".repeat(3000) })]);
      await expect.poll(() => onB.got.length, { timeout: 5000 }).toBe(3);
      await expect.poll(() => onA.got.length, { timeout: 5000 }).toBe(3);
      expect(onB.got.map((m) => m.n)).toEqual([1, 2, 3]);
      expect(onA.got[2]!.text).toHaveLength(3000);
      expect(other.got).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("logs and drops a message that does not parse; the subscriber never sees it and later ones still arrive", async () => {
    const logs: string[] = [];
    const [a, b] = make().pair(logs);
    try {
      const onB = inbox<z.output<typeof PING.schema>>();
      await b.subscribe(PING, onB.subscriber);
      const deep = "[".repeat(3000) + "]".repeat(3000);
      await a.publish([
        { channel: PING.name, payload: "{not json" },
        { channel: PING.name, payload: JSON.stringify({ n: "one" }) },
        { channel: PING.name, payload: `{"n":1,"x":${deep}}` },
        PING.notification({ n: 7 }),
      ]);
      await expect.poll(() => onB.got.map((m) => m.n), { timeout: 5000 }).toEqual([7]);
      expect(logs.filter((l) => l.startsWith("dropped a malformed test_ping message"))).toHaveLength(3);
      expect(logs.some((l) => /nested deeper than 16 levels/.test(l))).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("keeps one subscriber's exception from the others and from the connection", async () => {
    const logs: string[] = [];
    const [a, b] = make().pair(logs);
    try {
      const good = inbox<z.output<typeof PING.schema>>();
      await b.subscribe(PING, {
        message: () => {
          throw new Error("subscriber bug");
        },
      });
      await b.subscribe(PING, good.subscriber);
      await a.publish([PING.notification({ n: 1 }), PING.notification({ n: 2 })]);
      await expect.poll(() => good.got.length, { timeout: 5000 }).toBe(2);
      expect(logs.filter((l) => l === "a test_ping subscriber failed: subscriber bug")).toHaveLength(2);
      expect(b.connected).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("reconnects after the connection is lost and tells every subscriber to resync; an unsubscribed one hears nothing more", async () => {
    const logs: string[] = [];
    const tr = make();
    const [a, b] = tr.pair(logs);
    try {
      const onB = inbox<z.output<typeof PING.schema>>();
      const left = inbox<z.output<typeof PING.schema>>();
      await b.subscribe(PING, onB.subscriber);
      const unsubscribe = await b.subscribe(PING, left.subscriber);
      await a.publish([PING.notification({ n: 1 })]);
      await expect.poll(() => onB.got.length, { timeout: 5000 }).toBe(1);
      unsubscribe();
      await tr.cut(b);
      await expect.poll(() => onB.resyncs, { timeout: 10_000 }).toBe(1);
      expect(left.resyncs).toBe(0);
      await a.publish([PING.notification({ n: 2 })]);
      await expect.poll(() => onB.got.map((m) => m.n), { timeout: 5000 }).toEqual([1, 2]);
      expect(left.got.map((m) => m.n)).toEqual([1]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe("channels", () => {
  it("refuse a message over one notification and names that are not identifiers", () => {
    expect(() => PING.notification({ n: 1, text: "€".repeat(2700) })).toThrow(/does not fit one notification \(at most 7999\)/);
    expect(MAX_PAYLOAD_BYTES).toBeLessThan(8000);
    expect(() => PING.notification({ n: 1.5 } as never)).toThrow();
    expect(() => defineChannel("Robert'); drop table", z.object({}))).toThrow(/lowercase SQL identifier/);
  });
});

describe("publishing inside a transaction (Postgres)", () => {
  it("delivers at commit, with the written row already visible, and never after a rollback", async () => {
    const ps = createPgPubSub({ connectionString: t.url });
    const seen: { n: number; visible: boolean }[] = [];
    const reads: Promise<void>[] = [];
    await ps.subscribe(PING, {
      message: (m) => {
        reads.push(
          t.db.$queryRawUnsafe<{ c: bigint }[]>(`select count(*) as c from "User" where email = $1`, `pubsub-${m.n}@test`).then((r) => void seen.push({ n: m.n, visible: r[0]!.c === 1n })),
        );
      },
    });
    try {
      await t.db
        .$transaction(async (tx) => {
          await tx.user.create({ data: { email: "pubsub-1@test" } });
          await publish(tx, PING, { n: 1 });
          throw new Error("roll back");
        })
        .catch(() => undefined);
      await t.db.$transaction(async (tx) => {
        await publish(tx, PING, { n: 2 });
        await tx.user.create({ data: { email: "pubsub-2@test" } });
      });
      await expect.poll(async () => (await Promise.all(reads), seen), { timeout: 5000 }).toEqual([{ n: 2, visible: true }]);
    } finally {
      await ps.close();
    }
  });
});

import { describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import { COLLAB_SCHEMA_VERSION, LocalPresence, PeerStore, PRESENCE_INTERVAL_MS, type Presence, type PresenceUser, type SharedView } from "./index";

const user = (id: string, name = id): PresenceUser => ({ id, name, color: "#1f77b4", role: "EDITOR" });
const view = (position: number, source = "states1"): SharedView => ({
  source,
  position,
  window: 40,
  brush: [position + 2, position + 5],
  padding: [1, 0],
  threshold: 0.3,
  cells: [1, 4, 9],
});

/** Copy one awareness' own state into another, as the sync server relays it. */
function relay(from: Awareness, to: Awareness) {
  applyAwarenessUpdate(to, encodeAwarenessUpdate(from, [from.clientID]), "relay");
}

describe("PeerStore", () => {
  it("lists other members once each, never ourselves, and ignores states that are not presence", () => {
    const ours = new Awareness(new Y.Doc());
    ours.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: user("me"), view: null, following: null });
    const store = new PeerStore();
    let notified = 0;
    store.subscribe(() => notified++);
    store.attach(ours, "me");
    expect(store.getSnapshot()).toEqual([]);

    const ada1 = new Awareness(new Y.Doc()); // Ada on the dataset page
    const ada2 = new Awareness(new Y.Doc()); // Ada in the explorer
    const bo = new Awareness(new Y.Doc());
    const meElsewhere = new Awareness(new Y.Doc()); // our own other tab
    const junk = new Awareness(new Y.Doc());
    ada1.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: user("ada", "Ada"), view: null, following: null } satisfies Presence);
    ada2.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: user("ada", "Ada"), view: view(100), following: null } satisfies Presence);
    bo.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: user("bo", "Bo"), view: view(7), following: "ada" } satisfies Presence);
    meElsewhere.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: user("me"), view: view(1), following: null });
    junk.setLocalState({ schemaVersion: 999, user: { id: "x" }, view: "garbage" });
    for (const a of [ada1, ada2, bo, meElsewhere, junk]) relay(a, ours);

    const peers = store.getSnapshot();
    expect(peers.map((p) => p.user.name)).toEqual(["Ada", "Bo"]);
    expect(peers[0]!.view?.position).toBe(100); // the tab on the Select view wins
    expect(peers[1]!.following).toBe("ada");
    expect(notified).toBeGreaterThan(0);

    // a member who leaves disappears; the snapshot is a new array only on change
    const before = store.getSnapshot();
    bo.setLocalState(null);
    relay(bo, ours);
    expect(store.getSnapshot()).not.toBe(before);
    expect(store.getSnapshot().map((p) => p.user.name)).toEqual(["Ada"]);

    store.attach(null, null);
    expect(store.getSnapshot()).toEqual([]);
  });
});

describe("LocalPresence", () => {
  it("sends at most one state per interval, always the last one, and never an unchanged state twice", async () => {
    const aw = new Awareness(new Y.Doc());
    let sent = 0;
    aw.on("update", (_: unknown, origin: unknown) => {
      if (origin === "local") sent++;
    });
    const local = new LocalPresence();
    local.bind(aw, user("me"));
    expect(sent).toBe(1); // the state with no view yet
    let computed = 0;
    for (let i = 0; i < 200; i++) {
      local.setView(() => {
        computed++;
        return view(i);
      });
    }
    // the first change goes out at once (the previous send was long enough ago only if > interval),
    // the last one an interval later
    await expect.poll(() => (aw.getLocalState() as Presence).view?.position).toBe(199);
    expect(sent).toBeLessThanOrEqual(3);
    expect(computed).toBeLessThanOrEqual(3); // the view is computed only when sent

    const n = sent;
    local.setView(() => view(199)); // same view again
    // nothing to wait for: a send that should not happen is given two intervals to happen
    await new Promise((r) => setTimeout(r, PRESENCE_INTERVAL_MS * 2));
    expect(sent).toBe(n);

    local.setFollowing("ada");
    expect((aw.getLocalState() as Presence).following).toBe("ada");
    expect(local.currentView()?.position).toBe(199);
    local.dispose();
  });

  it("a classroom student's longer interval: following a presenter at 10 moves a second sends one state a second", () => {
    vi.useFakeTimers();
    try {
      const aw = new Awareness(new Y.Doc());
      let sent = 0;
      aw.on("update", (_: unknown, origin: unknown) => {
        if (origin === "local") sent++;
      });
      const local = new LocalPresence(1000);
      local.bind(aw, user("me"));
      vi.advanceTimersByTime(5000);
      sent = 0;
      for (let i = 0; i < 30; i++) {
        local.setView(() => view(i));
        vi.advanceTimersByTime(100); // 3 s of a presenter moving 10 times a second
      }
      expect(sent).toBeLessThanOrEqual(4);
      vi.advanceTimersByTime(1000);
      expect((aw.getLocalState() as Presence).view?.position).toBe(29); // the last move always goes out
      local.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});

/** A batch scheduler the test runs by hand: `flush` runs the batches scheduled so far, in order. */
function manualBatches() {
  const pending: Array<() => void> = [];
  return {
    batch: (run: () => void) => void pending.push(run),
    flush: () => {
      for (const run of pending.splice(0)) run();
    },
  };
}

describe("PeerStore batching", () => {
  it("re-reads once per batch however many members moved", () => {
    const ours = new Awareness(new Y.Doc());
    const batches = manualBatches();
    const store = new PeerStore(batches.batch);
    let notified = 0;
    store.subscribe(() => notified++);
    store.attach(ours, "me");
    const others = Array.from({ length: 5 }, () => new Awareness(new Y.Doc()));
    others.forEach((a, i) => {
      a.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: user(`u${i}`), view: view(i), following: null } satisfies Presence);
      relay(a, ours);
    });
    const before = notified;
    expect(store.getSnapshot()).toHaveLength(0); // not read yet
    batches.flush();
    expect(notified - before).toBe(1);
    expect(store.getSnapshot()).toHaveLength(5);
  });
});

describe("PeerStore re-attached while a batch is pending", () => {
  it("does not lose a change that arrives between the two attachments' batches", () => {
    const ours = new Awareness(new Y.Doc());
    const batches = manualBatches();
    const store = new PeerStore(batches.batch);
    store.attach(ours, "me");
    const ada = new Awareness(new Y.Doc());
    ada.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: user("ada", "Ada"), view: view(1), following: null } satisfies Presence);
    relay(ada, ours); // batch pending for the first attachment
    store.attach(ours, "me"); // e.g. our role changed: attached again with the new identity
    ada.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: user("ada", "Ada"), view: view(2), following: null } satisfies Presence);
    relay(ada, ours);
    batches.flush(); // the first attachment's batch, then the second's
    expect(store.getSnapshot().map((p) => p.view?.position)).toEqual([2]);
  });
});

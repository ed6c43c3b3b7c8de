import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { COLLAB_SCHEMA_VERSION, type Presence } from "@statescope/collab";
import { fileSyncServer, presenceAt, seedMembers } from "../../tests/setup/sync-server";
import { signSyncToken } from "../services/sync-tokens";

/**
 * Presence of a member who reconnects (e.g. after their role changed, which closes the socket):
 * the browser keeps its Y.Doc, so its awareness client id is the same on the new socket, and the
 * room must withdraw that presence when the new socket closes too — not leave a ghost avatar
 * for the others until the 30 s awareness timeout.
 */
const SECRET = "test-secret-test-secret-test-secret";
const V = String(COLLAB_SCHEMA_VERSION);

const sync = fileSyncServer(SECRET, (db) => seedMembers(db, "w1", { ada: "EDITOR", bo: "EDITOR" }));

describe("presence across a reconnect", () => {
  it("withdraws a reconnected member's presence when their new socket closes", async () => {
    const room = "ws:w1:presence-reconnect";
    const provider = (u: string, doc: Y.Doc) =>
      new WebsocketProvider(`ws://127.0.0.1:${sync.port}`, room, doc, {
        WebSocketPolyfill: WebSocket as never,
        disableBc: true,
        // like use-room.ts: every close comes back to the page, which decides to reconnect
        shouldReconnect: () => false,
        params: { token: signSyncToken(SECRET, { u, w: "w1", r: room, role: "EDITOR" }), v: V },
      });
    const watcherDoc = new Y.Doc();
    const memberDoc = new Y.Doc();
    const watcher = provider("ada", watcherDoc);
    const member = provider("bo", memberDoc);
    const seen = () => (watcher.awareness.getStates().get(memberDoc.clientID) as Presence | undefined)?.view;
    // The socket goes away without a goodbye (the server closed it, the network dropped): only
    // the room's bookkeeping can withdraw the presence (a polite client would withdraw it itself).
    const drop = () => (member.ws as unknown as WebSocket).terminate();
    try {
      member.awareness.setLocalState(presenceAt(1));
      await expect.poll(() => seen()?.position, { timeout: 5000 }).toBe(1);

      // the socket goes; the others stop seeing the member
      drop();
      await expect.poll(() => seen(), { timeout: 5000 }).toBeUndefined();

      // the same page reconnects and re-announces itself with a new clock (use-room.ts does this)
      const announce = ({ status }: { status: string }) => {
        if (status !== "connected") return;
        member.off("status", announce);
        member.awareness.setLocalState(presenceAt(2));
      };
      member.on("status", announce);
      member.connect();
      await expect.poll(() => seen()?.position, { timeout: 5000 }).toBe(2);

      // and goes again: the presence goes with the socket, well before the awareness timeout
      const t0 = Date.now();
      drop();
      await expect.poll(() => seen(), { timeout: 5000, interval: 50 }).toBeUndefined();
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      member.destroy();
      watcher.destroy();
    }
  });
});

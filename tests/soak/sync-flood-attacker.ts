/**
 * The attacker of the sync flood (tests/soak/sync-flood.ts), in its own process so its send loop
 * does not slow the clients being measured. Admitted to its room as an EDITOR or OWNER (roles whose
 * valid updates would be merged), it sends malformed frames as fast as the socket drains,
 * reconnecting whenever the server closes it, until FRAMES were sent. Prints READY once loaded,
 * starts on a line on stdin, and prints `SENT <frames> <connections>` at the end.
 */
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import { COLLAB_SCHEMA_VERSION } from "@statescope/collab";
import { mulberry32 } from "@statescope/core";
import { signSyncToken } from "../../server/services/sync-tokens";

const setting = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`sync-flood-attacker: ${k} is not set`);
  return v;
};
const [SYNC_URL, SECRET, ROOM, USER, WORKSPACE, FRAMES, ROLE] = ["SYNC_URL", "SECRET", "ROOM", "USER", "WORKSPACE", "FRAMES", "ROLE"].map(setting) as [
  string, string, string, string, string, string, "OWNER" | "EDITOR",
];
const total = Number(FRAMES);
const rnd = mulberry32(42);
const pick = (n: number) => Math.floor(rnd() * n);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => pick(256));

function frame(enc: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  enc(e);
  return encoding.toUint8Array(e);
}

/** One malformed frame of a random kind: each is refused by the frame check, none may merge. */
function malformed(i: number): Uint8Array {
  switch (i % 8) {
    case 0:
      return bytes(1 + pick(64)); // noise
    case 1:
      return frame((e) => (encoding.writeVarUint(e, 7 + pick(100)), encoding.writeVarUint8Array(e, bytes(8)))); // unknown type
    case 2:
      return frame((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 2), encoding.writeVarUint8Array(e, bytes(4 + pick(60))))); // garbage update
    case 3:
      return frame((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 1), encoding.writeVarUint8Array(e, bytes(12)))); // garbage sync step 2
    case 4:
      return frame((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 0), encoding.writeVarUint8Array(e, new Uint8Array([0])), encoding.writeUint8(e, 9))); // trailing bytes
    case 5:
      return frame((e) => {
        encoding.writeVarUint(e, 1);
        const inner = frame((a) => (encoding.writeVarUint(a, 1), encoding.writeVarUint(a, pick(1e6)), encoding.writeVarUint(a, 1), encoding.writeVarString(a, "{not json")));
        encoding.writeVarUint8Array(e, inner);
      }); // awareness with broken JSON
    case 6:
      return frame((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 9), encoding.writeVarUint8Array(e, bytes(3)))); // unknown sync step
    default:
      return frame((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 2), encoding.writeVarUint(e, 1e9))); // length past the end
  }
}

let sent = 0;
let connections = 0;

function connect(): Promise<void> {
  return new Promise((resolve) => {
    connections++;
    const token = signSyncToken(SECRET, { u: USER, w: WORKSPACE, r: ROOM, role: ROLE });
    const url = `${SYNC_URL.replace(/^http/, "ws")}/${encodeURIComponent(ROOM)}?token=${encodeURIComponent(token)}&v=${COLLAB_SCHEMA_VERSION}`;
    const ws = new WebSocket(url);
    let open = false;
    const pump = () => {
      while (open && sent < total && ws.bufferedAmount < 64 * 1024) ws.send(malformed(sent++));
      if (open && sent < total) setImmediate(pump);
      else if (sent >= total) ws.close();
    };
    ws.on("open", () => {
      open = true;
      pump();
    });
    ws.on("error", () => undefined);
    ws.on("close", () => {
      open = false;
      resolve();
    });
  });
}

void (async () => {
  // loaded (tsx compiled this file): the flood starts on the harness's word, so what it measures is the flood
  process.stdout.write("READY\n");
  await new Promise((r) => process.stdin.once("data", r));
  process.stdin.destroy();
  while (sent < total) await connect();
  process.stdout.write(`SENT ${sent} ${connections}\n`);
})();

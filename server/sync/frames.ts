/**
 * Checking y-websocket frames before y-websocket sees them, so a malformed
 * frame is refused without merging anything into the document. A frame is
 * `varuint type` + payload: sync (0) = `varuint step` + `varUint8Array`
 * (step 1: a state vector; step 2 / update: a Yjs update), awareness (1) =
 * `varUint8Array` of awareness entries.
 */
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { readRawAwarenessEntries } from "./presence-gate";

/** Close code for a socket whose frames are refused (malformed, or presence that is not presence). */
export const CLOSE_MALFORMED = 4400;
/** Close code for a socket that sends presence far faster than the rate the server passes on. */
export const CLOSE_TOO_FAST = 4429;

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const SYNC_STEP_1 = 0;
export const SYNC_STEP_2 = 1;
export const SYNC_UPDATE = 2;

export interface FrameInfo {
  type: "sync-step1" | "sync-step2" | "sync-update" | "awareness";
}

/** What the frame is, or a reason it is malformed. */
export function inspectFrame(frame: Uint8Array): FrameInfo | { problem: string } {
  try {
    const d = decoding.createDecoder(frame);
    const type = decoding.readVarUint(d);
    if (type === MESSAGE_SYNC) {
      const step = decoding.readVarUint(d);
      const payload = decoding.readVarUint8Array(d);
      if (decoding.hasContent(d)) return { problem: "trailing bytes after the sync message" };
      if (step === SYNC_STEP_1) {
        Y.decodeStateVector(payload);
        return { type: "sync-step1" };
      }
      if (step === SYNC_STEP_2 || step === SYNC_UPDATE) {
        Y.decodeUpdate(payload); // parses the whole update without applying it
        return { type: step === SYNC_STEP_2 ? "sync-step2" : "sync-update" };
      }
      return { problem: `unknown sync step ${step}` };
    }
    if (type === MESSAGE_AWARENESS) {
      const payload = decoding.readVarUint8Array(d);
      if (decoding.hasContent(d)) return { problem: "trailing bytes after the awareness message" };
      // the entries' structure here; their text is read by the room (UTF-8 and JSON, with its bounds),
      // and only for entries it takes: an echo of presence it sent (same clock) is skipped undecoded
      readRawAwarenessEntries(payload);
      return { type: "awareness" };
    }
    return { problem: `unknown message type ${type}` };
  } catch (e) {
    return { problem: `undecodable frame (${e instanceof Error ? e.message : String(e)})` };
  }
}

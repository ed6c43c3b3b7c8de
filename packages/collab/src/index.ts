/**
 * `@statescope/collab`: the one definition of a room — the shared Yjs document's roots, presence
 * and its wire bounds, the records' view helpers — shared by the pages and the sync server.
 */
export * from "./schema";
export * from "./records";
export { MAX_PRESENCE_BYTES, MAX_PRESENCE_DEPTH, ZClientPresence, fitPresence, presenceFromClient, type ClientPresence, type PresenceReading } from "./presence-wire";
export { jsonDepth, parseBoundedJson, utf8Length, type BoundedJson, type JsonLimits } from "./bounded-json";
export { applyTextDiff, diffText, mapIndexThroughDelta, type TextDelta, type TextSplice } from "./text-binding";
export { createRoomAwareness, LocalPresence, PeerStore, PRESENCE_INTERVAL_MS, type Peer } from "./presence";

/**
 * What a room needs from storage and from the other sync processes, behind
 * one interface so the room logic (rooms.ts) knows nothing about Postgres.
 * The Postgres implementation is pg-backend.ts.
 */

/** What the backend calls on a loaded room. */
export interface RoomPeer {
  /** Apply a document update written by another process (broadcast locally, not stored again). */
  applyRelayed(update: Uint8Array): void;
  /** Apply an awareness update from another process's clients. */
  applyRelayedAwareness(update: Uint8Array): void;
  /** Remove the presence of clients relayed from a process that is gone (not relayed again). */
  dropRelayedClients(clientIds: number[]): void;
  /** Awareness of this process's own clients (for a process that just loaded the room), or null. */
  localAwareness(): Uint8Array | null;
}

/** A loaded room's connection to storage and to the other processes. */
export interface RoomLink {
  /** The stored updates that make up the room's document when it was loaded. */
  readonly stored: readonly Uint8Array[];
  /** Persist a local update: appended in a small batch, then announced to the other processes. */
  store(update: Uint8Array): void;
  /** Relay a local awareness update (presence) to the other processes. */
  publishAwareness(update: Uint8Array): void;
  /** Write whatever is pending now. */
  flush(): Promise<void>;
  /** Flush, compact when worthwhile, and stop receiving relayed updates for this room. */
  close(): Promise<void>;
}

export interface SyncBackend {
  /** Load a room; relayed updates for it reach `peer` from the moment this is called. */
  open(room: string, peer: RoomPeer): Promise<RoomLink>;
  /** Flush every room and release connections. */
  close(): Promise<void>;
}

"use client";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { writeSpotlight, type Peer, type PresenceUser } from "@statescope/collab";
import { NotesPanel } from "./notes-panel";
import { describeView, initials, navigateToView } from "./presence";
import { useFollowView, usePresentation, usePresenting } from "./presenter";
import { usePeers, type RoomPlumbing } from "./room-context";
import { SpotlightBanner } from "./spotlight-banner";
import type { Room } from "./use-room";

function Avatar({ user, size = 28, ring }: { user: Pick<PresenceUser, "name" | "color">; size?: number; ring?: boolean }) {
  return (
    <span className={`avatar${ring ? " ring" : ""}`} style={{ background: user.color, width: size, height: size, lineHeight: `${size}px` }} aria-hidden>
      {initials(user.name)}
    </span>
  );
}

function statusOf(room: Room | null, here: number): { cls: string; text: string } {
  if (!room) return { cls: "connecting", text: "Connecting…" };
  const ph = room.phase;
  if (ph.kind === "connecting") return { cls: "connecting", text: "Connecting…" };
  if (ph.kind === "retrying") return { cls: "offline", text: `Offline — retrying in ${Math.round(ph.inMs / 100) / 10} s` };
  if (ph.kind === "stopped") return { cls: "offline", text: "Not connected" };
  if (!ph.synced) return { cls: "connecting", text: "Joining…" };
  return { cls: "live", text: here === 0 ? "Live · only you here" : `Live · ${here + 1} here` };
}

/**
 * Who is here and where, above the explorer: avatars (click: jump to their view or follow them),
 * the follow chip (Esc stops), the spotlight ("show everyone this view"), team notes, and why the
 * room closed when it did.
 */
export function RoomBar({ room, plumbing, actions }: { room: Room | null; plumbing: RoomPlumbing; actions?: (canEdit: boolean) => ReactNode }) {
  const peers = usePeers();
  const me = room?.me ?? null;
  const [following, setFollowing] = useState<{ id: string; name: string } | null>(null);
  const [menu, setMenu] = useState<string | null>(null);
  const [notesOpen, setNotesOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // the spotlight is presenter mode (presenter.ts): the presenter keeps it current in the shared document
  const spotlight = usePresentation(room?.doc);
  const menuRef = useRef<HTMLDivElement>(null);
  const live = room?.phase.kind === "live";
  const stopped = room?.phase.kind === "stopped" ? room.phase : null;
  const editor = me !== null && me.role !== "VIEWER";

  useEffect(() => setNotice(room?.notice ?? null), [room?.notice]);

  // our presence says whom we follow, so they see it
  useEffect(() => plumbing.local.setFollowing(following?.id ?? null), [plumbing, following]);

  // follow: the presentation when we follow its presenter, else the leader's presence; one follow engine (presenter.ts)
  const leader = following ? peers.find((p) => p.user.id === following.id) : undefined;
  useFollowView(following && leader ? (spotlight?.by.id === following.id ? spotlight : leader.view) : null);
  useEffect(() => {
    if (!following || leader) return;
    setFollowing(null);
    setNotice(`${following.name} left the room: you stopped following.`);
  }, [following, leader === undefined]);

  // a click outside an open avatar menu closes it
  useEffect(() => {
    if (!menu) return;
    const onDown = (e: PointerEvent) => {
      if (menuRef.current && !menuRef.current.contains(e.target as Node)) setMenu(null);
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, [menu]);

  // Esc stops following (and closes a menu) before the explorer sees it (where Esc clears the brush)
  useEffect(() => {
    if (!following && !menu) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.stopPropagation();
      e.preventDefault();
      if (menu) setMenu(null);
      else setFollowing(null);
    };
    document.addEventListener("keydown", onKey, true);
    return () => document.removeEventListener("keydown", onKey, true);
  }, [following, menu]);

  const follow = (p: { id: string; name: string }) => {
    setMenu(null);
    setFollowing(p);
  };
  const jump = (p: Peer) => {
    setMenu(null);
    if (p.view) navigateToView(p.view, "push");
  };
  const showEveryone = () => {
    const v = plumbing.local.currentView();
    if (!room || !me || !v) return;
    writeSpotlight(room.doc, { ...v, by: { id: me.id, name: me.name }, at: Date.now() });
  };
  const followers = peers.filter((p) => me && p.following === me.id);
  const status = statusOf(room, peers.length);
  const canShow = editor && live && room?.canEdit;
  const mySpotlight = spotlight && me && spotlight.by.id === me.id;
  usePresenting(room?.doc, plumbing.local, me, !!mySpotlight && !!canShow);

  return (
    <div className="collab" data-testid="collab">
      <div className="collab-bar" role="toolbar" aria-label="People on this dataset">
        <span className={`collab-status ${status.cls}`} data-testid="collab-status" data-phase={room?.phase.kind ?? "connecting"}>
          <span className="dot" aria-hidden />
          {status.text}
        </span>
        <div className="avatars">
          {me && (
            <span className="me" title={`You (${me.name}) · ${me.role}`} data-testid="avatar-me" data-role={me.role}>
              <Avatar user={me} ring />
              <span className="who">
                You <span className="role">{me.role.toLowerCase()}</span>
              </span>
            </span>
          )}
          {peers.map((p) => (
            <div key={p.user.id} className="peer" ref={menu === p.user.id ? menuRef : undefined}>
              <button
                type="button"
                className={`peer-btn${following?.id === p.user.id ? " followed" : ""}`}
                aria-haspopup="menu"
                aria-expanded={menu === p.user.id}
                aria-label={`${p.user.name}, ${p.user.role.toLowerCase()}, ${describeView(p.view)}`}
                data-testid={`avatar-${p.user.name}`}
                onClick={() => setMenu(menu === p.user.id ? null : p.user.id)}
              >
                <Avatar user={p.user} />
                <span className="who">
                  <span className="name">{p.user.name}</span>
                  <span className="where">{describeView(p.view)}</span>
                </span>
                {me && p.following === me.id && <span className="badge" title={`${p.user.name} follows your view`}>follows you</span>}
              </button>
              {menu === p.user.id && (
                <div className="peer-menu" role="menu" aria-label={`${p.user.name}'s view`} data-testid="peer-menu">
                  <div className="peer-menu-head">
                    <Avatar user={p.user} size={34} />
                    <div>
                      <strong>{p.user.name}</strong> <span className="role">{p.user.role.toLowerCase()}</span>
                      <div className="muted">{describeView(p.view)}</div>
                    </div>
                  </div>
                  <button type="button" role="menuitem" className="secondary small" disabled={!p.view} onClick={() => jump(p)} autoFocus>
                    Jump to their view
                  </button>
                  {following?.id === p.user.id ? (
                    <button type="button" role="menuitem" className="secondary small" onClick={() => setFollowing(null)}>
                      Stop following
                    </button>
                  ) : (
                    <button type="button" role="menuitem" className="small" onClick={() => follow({ id: p.user.id, name: p.user.name })}>
                      Follow
                    </button>
                  )}
                  <p className="muted hint">Follow: your view tracks theirs live until you press Esc.</p>
                </div>
              )}
            </div>
          ))}
        </div>
        <span className="spacer" />
        {followers.length > 0 && (
          <span className="followers" data-testid="followers">
            {followers.map((f) => f.user.name).join(", ")} {followers.length === 1 ? "follows" : "follow"} your view
          </span>
        )}
        {following && (
          <span className="follow-chip" data-testid="follow-chip" role="status">
            Following {following.name} — Esc to stop
            <button type="button" className="ghost small" onClick={() => setFollowing(null)} aria-label={`Stop following ${following.name}`}>
              stop
            </button>
          </span>
        )}
        {mySpotlight ? (
          <button type="button" className="secondary small" onClick={() => room && writeSpotlight(room.doc, null)} data-testid="spotlight-stop" disabled={!canShow}>
            Stop showing
          </button>
        ) : (
          <button
            type="button"
            className="secondary small"
            onClick={showEveryone}
            disabled={!canShow}
            data-testid="spotlight-show"
            title={editor ? "Everyone on this dataset sees a banner with your current view" : "Only editors and owners can show a view to everyone"}
          >
            Show everyone this view
          </button>
        )}
        {actions?.(!!canShow)}
        <button type="button" className={`secondary small${notesOpen ? " on" : ""}`} onClick={() => setNotesOpen(!notesOpen)} aria-expanded={notesOpen} data-testid="notes-toggle">
          Team notes
        </button>
      </div>

      {stopped && (
        <div className="collab-banner danger" role="alert" data-testid="room-closed" data-code={stopped.code}>
          <strong>{stopped.title}</strong>
          <span>{stopped.detail}</span>
          {stopped.reload && (
            <button type="button" className="small" onClick={() => window.location.reload()}>
              Reload
            </button>
          )}
        </div>
      )}
      {notice && !stopped && (
        <div className="collab-banner info" role="status" data-testid="collab-notice">
          <span>{notice}</span>
          <button type="button" className="ghost small" onClick={() => setNotice(null)} aria-label="Dismiss">×</button>
        </div>
      )}
      {spotlight && !stopped && (
        <SpotlightBanner
          spotlight={spotlight}
          me={me}
          peers={peers}
          following={following?.id ?? null}
          canClear={!!canShow && (!!mySpotlight || me?.role === "OWNER")}
          onFollow={follow}
          onClear={() => room && writeSpotlight(room.doc, null)}
        />
      )}
      {notesOpen && room && (
        <NotesPanel
          doc={room.doc}
          editable={room.canEdit}
          readOnlyReason={
            stopped ? "The room is closed; the notes are read-only." : !editor && me ? "You are a viewer here: you can read the notes; an owner can make you an editor." : !live ? "Connecting… the notes are read-only until the room is live." : null
          }
          onClose={() => setNotesOpen(false)}
        />
      )}
    </div>
  );
}

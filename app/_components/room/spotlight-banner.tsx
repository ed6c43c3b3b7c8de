"use client";
import { useState } from "react";
import type { Peer, PresenceUser, SharedView, Spotlight } from "@statescope/collab";
import { describeView, navigateToView } from "./presence";

/**
 * "Show everyone this view": the banner for the spotlight (presenter mode, presenter.ts) in the
 * shared document. It shows the presenter's current view while they are here and disappears when they leave;
 * Follow is offered unless we already follow them; only the presenter or a workspace OWNER may
 * clear it (`canClear`).
 */
export function SpotlightBanner({
  spotlight,
  me,
  peers,
  following,
  canClear,
  onFollow,
  onClear,
}: {
  spotlight: Spotlight;
  me: PresenceUser | null;
  peers: readonly Peer[];
  /** Whom we follow (user id), if anyone. */
  following: string | null;
  canClear: boolean;
  onFollow: (p: { id: string; name: string }) => void;
  onClear: () => void;
}) {
  const [dismissed, setDismissed] = useState<number | null>(null);
  const mine = me !== null && spotlight.by.id === me.id;
  const presenter = peers.find((p) => p.user.id === spotlight.by.id);
  if (mine) {
    return (
      <div className="collab-banner spotlight mine" role="status" data-testid="spotlight-mine">
        <span>You are showing everyone your view: their banner follows you as you move (“Stop showing” above ends it).</span>
      </div>
    );
  }
  // the presenter left (or is not here yet): nothing to show
  if (!presenter || dismissed === spotlight.at) return null;
  // the presenter keeps the presentation current while they present (presenter.ts)
  const view: SharedView = spotlight;
  const followed = following === spotlight.by.id;
  return (
    <div className="collab-banner spotlight" role="status" data-testid="spotlight-banner" data-position={view.position}>
      <span className="avatar-dot" style={{ background: presenter.user.color }} aria-hidden />
      <span>
        <strong>{spotlight.by.name}</strong> is showing a view: {describeView(view).replace(/^viewing /, "")}
      </span>
      <button type="button" className="small" onClick={() => navigateToView(view, "push")} data-testid="spotlight-go">
        Go there
      </button>
      {followed ? (
        <span className="muted" data-testid="spotlight-following">you follow {spotlight.by.name}</span>
      ) : (
        <button type="button" className="secondary small" onClick={() => onFollow({ id: spotlight.by.id, name: spotlight.by.name })} data-testid="spotlight-follow">
          Follow
        </button>
      )}
      {canClear && (
        <button type="button" className="ghost small" onClick={onClear} data-testid="spotlight-clear">
          Clear for everyone
        </button>
      )}
      <button type="button" className="ghost small" onClick={() => setDismissed(spotlight.at)} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

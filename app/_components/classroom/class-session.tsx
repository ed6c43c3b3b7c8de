"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { LocalPresence, PeerStore, readClassControls, ROOT, writeClassControls, writeSpotlight, type ClassControls, type Peer } from "@statescope/collab";
import type { ExplorerSlots } from "@/app/_components/explorer/slots";
import { ServerExplorer } from "@/app/_components/explorer/server-explorer";
import { nextFrame } from "@/app/_components/room/presence";
import { useFollowView, usePresentation, usePresenting } from "@/app/_components/room/presenter";
import { PresenceProvider, PublishView, usePeers, type RoomPlumbing } from "@/app/_components/room/room-context";
import { useTicketRoom, type Room } from "@/app/_components/room/use-room";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import type { AnswerView, SessionState } from "@/server/services/classroom/schemas";
import { StaffTasks, StudentTask } from "./tasks";
import { takeHandedTicket } from "./ticket-handoff";
import "@/app/_components/room/room.css";

/** The classroom controls in the shared document (bring everyone back, the audience count). */
function useClassControls(room: Room | null): ClassControls {
  const [c, setC] = useState<ClassControls>({ recall: 0, audience: 0, tasks: 0, roles: 0 });
  useEffect(() => {
    if (!room) return;
    const m = room.doc.getMap(ROOT.classroom);
    const read = () => setC(readClassControls(room.doc));
    m.observe(read);
    read();
    return () => m.unobserve(read);
  }, [room]);
  return c;
}

/**
 * A live class session: the realtime room of the session (the join's ticket, then `classroom.ticket`), the
 * explorer on the session's dataset, and above it the presenter screen (staff) or the student
 * bar. Presenter mode is the room's presentation (room/presenter.ts): the presenter writes it,
 * students follow it until they detach, and return in one click or when staff bring everyone back.
 */
export function ClassSession({ initial, joinUrl, qrSvg }: { initial: SessionState; joinUrl: string; qrSvg: string | null }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const state = useQuery({
    ...trpc.classroom.state.queryOptions({ sessionId: initial.id }),
    initialData: initial,
    // staff see who joined; students read it again when the staff change who is who (below)
    refetchInterval: (q) => ((q.state.data ?? initial).me.role !== "STUDENT" ? 5000 : false),
    retry: false,
  });
  const s = state.data ?? initial;
  // the current role, not the page's first: a promoted student gets the presenter screen at once
  const staff = s.me.role !== "STUDENT";
  // the first ticket is the join's (ticket-handoff.ts) when the page was opened by joining
  const room = useTicketRoom(`class:${initial.id}`, async () => takeHandedTicket(initial.id) ?? client.classroom.ticket.mutate({ sessionId: initial.id }), true, "class session");
  // a student's presence (following or not, where) goes to the staff about once a second: following a
  // presenter moves their view 10 times a second, and a thousand of them would flood the staff otherwise
  const [plumbing] = useState<RoomPlumbing>(() => ({ local: new LocalPresence(staff ? undefined : STUDENT_PRESENCE_MS), peers: new PeerStore(nextFrame) }));
  const stopped = room?.phase.kind === "stopped";
  useEffect(() => {
    plumbing.local.bind(stopped ? null : (room?.awareness ?? null), room?.me ?? null);
    plumbing.peers.attach(stopped ? null : (room?.awareness ?? null), room?.me?.id ?? null);
  }, [plumbing, room?.awareness, room?.me, stopped]);
  useEffect(() => () => plumbing.local.dispose(), [plumbing]);
  // a new sync role (made presenter, promoted) or a closed room (removed, ended): read the session again
  const role = room?.me?.role;
  useEffect(() => {
    void qc.invalidateQueries({ queryKey: trpc.classroom.state.queryKey({ sessionId: initial.id }) });
  }, [role, stopped, qc, trpc, initial.id]);
  // the staff changed who is who (promoted, demoted, a new presenter): everyone reads the session
  // again, a class spread over a second and a half rather than all in the same millisecond
  const controls = useClassControls(room);
  const seenRoles = useRef<number | null>(null);
  useEffect(() => {
    const first = seenRoles.current === null;
    seenRoles.current = controls.roles;
    if (first || controls.roles === 0) return;
    const t = setTimeout(() => void qc.invalidateQueries({ queryKey: trpc.classroom.state.queryKey({ sessionId: initial.id }) }), Math.random() * 1500);
    return () => clearTimeout(t);
  }, [controls.roles, qc, trpc, initial.id]);
  const notice = useRoleNotice(s.me.role);

  const slots = useMemo<ExplorerSlots>(
    () => ({ publish: (v) => <PublishView state={v.state} steps={v.visible[1] - v.visible[0]} cells={v.selections[v.activeLayer] ?? null} /> }),
    [],
  );
  const ended = state.error !== null && /ended/.test(errorMessage(state.error));
  if (ended || s.endedAt) {
    return (
      <div className="class-join-page">
        <div className="card class-join" data-testid="class-ended">
          <h1>{s.title}</h1>
          <p>This class session has ended. Thank you for taking part!</p>
          <p>
            Keep the class&apos;s archive (the presenter&apos;s steps and the results):{" "}
            <a href={s.archivePath} data-testid="class-archive-link">
              open the archive
            </a>
          </p>
        </div>
      </div>
    );
  }
  if (state.error && stopped) {
    return (
      <div className="class-join-page">
        <div className="card class-join">
          <h1>{s.title}</h1>
          <p className="error" role="alert" data-testid="class-error">{errorMessage(state.error)}</p>
        </div>
      </div>
    );
  }
  return (
    <PresenceProvider plumbing={plumbing}>
      <div className="class-page" data-testid={staff ? "presenter-screen" : "student-screen"} data-role={s.me.role}>
        {notice && (
          <p className={`class-notice ${notice.kind}`} role="status" data-testid="class-role-notice">
            {notice.text}
          </p>
        )}
        {staff ? (
          <StaffBar s={s} room={room} plumbing={plumbing} controls={controls} joinUrl={joinUrl} qrSvg={qrSvg} />
        ) : (
          <StudentBar s={s} room={room} plumbing={plumbing} controls={controls} />
        )}
        <div className="class-explorer">
          <ServerExplorer workspace={s.workspace} datasetId={s.datasetId} initialInfo={null} slots={slots} />
        </div>
      </div>
    </PresenceProvider>
  );
}

/** What changed when our role in the session changes while we are here (shown until the next change). */
function useRoleNotice(role: SessionState["me"]["role"]): { kind: "up" | "down"; text: string } | null {
  const prev = useRef(role);
  const [notice, setNotice] = useState<{ kind: "up" | "down"; text: string } | null>(null);
  useEffect(() => {
    if (role === prev.current) return;
    prev.current = role;
    if (role === "TA") setNotice({ kind: "up", text: "The instructor made you a TA: you can present, pose questions and polls, bring everyone back and moderate." });
    else if (role === "STUDENT") setNotice({ kind: "down", text: "You are a student in this class again: you follow the presenter." });
  }, [role]);
  return notice;
}

/** How often a student's presence goes out at most. */
const STUDENT_PRESENCE_MS = 1000;

/** Presenting: when we hold the presenter role, our view is the room's presentation (unless `paused`: an answer is in the spotlight). */
function usePresenterRole(s: SessionState, room: Room | null, plumbing: RoomPlumbing, paused = false): boolean {
  const client = useTRPCClient();
  const presenting = s.presenter?.id === s.me.id;
  const active = presenting && !paused && !!room?.canEdit;
  usePresenting(room?.doc, plumbing.local, room?.me ?? null, active);
  // the archive's timeline: each view the presenter settles on (STEP_SETTLE_MS without a change)
  useEffect(() => {
    if (!active) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const settle = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        const view = plumbing.local.currentView();
        if (view) client.classroom.step.mutate({ sessionId: s.id, view }).catch(() => undefined);
      }, STEP_SETTLE_MS);
    };
    const off = plumbing.local.onView(settle);
    // taking the presenter role (back) on an unchanged view is a step too: the class now sees it
    settle();
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [active, plumbing, client, s.id]);
  return presenting;
}

/** A presenter's view that stays this long is a step of the archive's timeline. */
const STEP_SETTLE_MS = 800;

function Status({ room }: { room: Room | null }) {
  const ph = room?.phase;
  const text = !ph || ph.kind === "connecting" ? "Connecting…" : ph.kind === "retrying" ? "Offline — retrying" : ph.kind === "stopped" ? ph.title : ph.synced ? "Live" : "Joining…";
  const cls = ph?.kind === "live" && ph.synced ? "live" : ph?.kind === "retrying" || ph?.kind === "stopped" ? "offline" : "connecting";
  return (
    <span className={`collab-status ${cls}`} data-testid="class-status" data-phase={ph?.kind ?? "connecting"}>
      <span className="dot" aria-hidden />
      {text}
    </span>
  );
}

/** The presenter screen's bar: code and QR to project, presenting, who follows, controls. */
function StaffBar({ s, room, plumbing, controls, joinUrl, qrSvg }: { s: SessionState; room: Room | null; plumbing: RoomPlumbing; controls: ClassControls; joinUrl: string; qrSvg: string | null }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const peers = usePeers();
  // an answer in the spotlight: the presentation shows it (anonymised unless the staff chose names) until we resume
  const [spot, setSpot] = useState<{ answer: AnswerView; named: boolean } | null>(null);
  const presenting = usePresenterRole(s, room, plumbing, spot !== null);
  useEffect(() => {
    if (!spot || !room?.canEdit || !spot.answer.range || !spot.answer.source) return;
    const [start, end] = spot.answer.range;
    writeSpotlight(room.doc, {
      source: spot.answer.source,
      position: Math.max(0, start - 8),
      window: 60,
      brush: [start, end],
      padding: [0, 0],
      threshold: spot.answer.threshold ?? 0.3,
      cells: spot.answer.cells,
      by: { id: `answer:${spot.answer.id}`, name: spot.named ? spot.answer.name : "a student" },
      at: Date.now(),
    });
  }, [spot, room]);
  const [projecting, setProjecting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const students = peers.filter((p) => p.user.role === "VIEWER");
  const presenterId = s.presenter?.id ?? null;
  const detached = students.filter((p) => p.following !== presenterId);
  // the students see how many are here (they see no one else's presence): staff keep the count in the room
  const canEdit = !!room?.canEdit;
  useEffect(() => {
    if (room && canEdit) writeClassControls(room.doc, { audience: students.length });
  }, [room, canEdit, students.length]);
  /** A control; `roles`: it changed who is who, so everyone's page reads the session again. */
  const act = async (f: () => Promise<unknown>, roles = false) => {
    setProblem(null);
    try {
      await f();
      if (roles && room?.canEdit) writeClassControls(room.doc, { roles: Date.now() });
      await qc.invalidateQueries({ queryKey: trpc.classroom.state.queryKey({ sessionId: s.id }) });
    } catch (e) {
      setProblem(errorMessage(e));
    }
  };
  const others = s.participants.filter((p) => p.id !== s.me.id);
  return (
    <div className="class-bar staff" role="toolbar" aria-label="Class session">
      <div className="class-head">
        <div>
          <div className="class-title">{s.title}</div>
          <div className="muted">
            {s.datasetName} · you are {s.me.role === "INSTRUCTOR" ? "the instructor" : "a TA"}
          </div>
        </div>
        <button type="button" className="class-code-chip" onClick={() => setProjecting(true)} data-testid="class-code-chip" title="Show the code and QR code large, to project">
          <span className="muted">Join at {joinUrl.replace(/^https?:\/\//, "").replace(/\/c\/.*$/, "/c")} with</span> <strong className="mono" data-testid="class-code-value">{s.code}</strong>
        </button>
        {qrSvg && <span className="class-qr small" aria-label={`QR code for ${joinUrl}`} role="img" dangerouslySetInnerHTML={{ __html: qrSvg }} data-testid="class-qr" />}
        <span className="spacer" />
        <Status room={room} />
      </div>
      <div className="class-controls">
        <span className="class-count" data-testid="class-students">
          <strong>{students.length}</strong> {students.length === 1 ? "student" : "students"} here
          {s.students > students.length && <span className="muted"> ({s.students} joined)</span>}
        </span>
        <span className={`class-detached${detached.length ? " some" : ""}`} data-testid="class-detached" data-count={detached.length}>
          {detached.length === 0 ? "everyone follows" : `${detached.length} exploring on their own${detached.length <= 5 ? `: ${detached.map((p) => p.user.name).join(", ")}` : ""}`}
        </span>
        <button type="button" className="small" onClick={() => room && writeClassControls(room.doc, { recall: Date.now() })} disabled={!canEdit || detached.length === 0} data-testid="class-bring-back">
          Bring everyone back
        </button>
        <span className="spacer" />
        {spot ? (
          <>
            <span className="class-presenting" data-testid="class-spotlighting">
              ● Everyone sees {spot.named ? `${spot.answer.name}'s` : "a student's"} answer
            </span>
            <button type="button" className="small" onClick={() => setSpot(null)} data-testid="class-resume">
              Back to my view
            </button>
          </>
        ) : presenting ? (
          <span className="class-presenting" data-testid="class-presenting">● You are presenting: students see your view</span>
        ) : (
          <>
            <span className="muted" data-testid="class-presenter">{s.presenter ? `${s.presenter.name} presents` : "nobody presents"}</span>
            <button type="button" className="small" onClick={() => act(() => client.classroom.present.mutate({ sessionId: s.id, participantId: s.me.id }), true)} data-testid="class-take-over">
              Present
            </button>
          </>
        )}
        <label className="class-hand">
          <span className="muted">Hand over to</span>
          <select
            value=""
            onChange={(e) => e.target.value && act(() => client.classroom.present.mutate({ sessionId: s.id, participantId: e.target.value }), true)}
            data-testid="class-hand-over"
          >
            <option value="">…</option>
            {others.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.role.toLowerCase()})
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary small" onClick={() => act(() => client.classroom.lock.mutate({ sessionId: s.id, locked: !s.locked }))} data-testid="class-lock" aria-pressed={s.locked}>
          {s.locked ? "Unlock joining" : "Lock joining"}
        </button>
        {s.me.role === "INSTRUCTOR" && (
          <button
            type="button"
            className="danger small"
            onClick={() => {
              if (window.confirm("End the session for everyone?")) void act(() => client.classroom.end.mutate({ sessionId: s.id }));
            }}
            data-testid="class-end"
          >
            End session
          </button>
        )}
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <StaffTasks sessionId={s.id} workspace={s.workspace} datasetId={s.datasetId} room={room} stamp={controls.tasks} onSpotlight={(answer, named) => setSpot({ answer, named })} />
      <Roster
        s={s}
        peers={students}
        onRemove={(id) => act(() => client.classroom.remove.mutate({ sessionId: s.id, participantId: id }))}
        onRole={(id, ta) => act(() => (ta ? client.classroom.promote : client.classroom.demote).mutate({ sessionId: s.id, participantId: id }), true)}
      />
      {projecting && <Projector joinUrl={joinUrl} code={s.code} qrSvg={qrSvg} onClose={() => setProjecting(false)} />}
    </div>
  );
}

/** Who is in the class (from the session; presence says who is connected and following). */
function Roster({ s, peers, onRemove, onRole }: { s: SessionState; peers: readonly Peer[]; onRemove: (id: string) => void; onRole: (id: string, ta: boolean) => void }) {
  const [open, setOpen] = useState(false);
  const here = new Map(peers.map((p) => [p.user.id, p]));
  const students = s.participants.filter((p) => p.role === "STUDENT");
  const instructor = s.me.role === "INSTRUCTOR";
  return (
    <details className="class-roster" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary data-testid="class-roster-toggle">Participants ({s.participants.length})</summary>
      <ul>
        {s.participants.map((p) => {
          const live = here.get(p.id);
          return (
            <li key={p.id} data-testid={`roster-${p.name}`}>
              <span>{p.name}</span> <span className="role">{p.role.toLowerCase()}{p.guest ? " · guest" : ""}</span>{" "}
              {p.role === "STUDENT" && <span className="muted">{live ? (live.following === s.presenter?.id ? "following" : "exploring on their own") : "not connected"}</span>}
              {instructor && p.role !== "INSTRUCTOR" && (
                <button
                  type="button"
                  className="ghost small"
                  onClick={() => onRole(p.id, p.role === "STUDENT")}
                  aria-label={p.role === "STUDENT" ? `Make ${p.name} a TA` : `Make ${p.name} a student again`}
                  title={p.role === "STUDENT" ? "A TA can present, pose questions and polls, bring everyone back and moderate" : undefined}
                  data-testid={p.role === "STUDENT" ? "roster-promote" : "roster-demote"}
                >
                  {p.role === "STUDENT" ? "make TA" : "make student"}
                </button>
              )}
              {p.role === "STUDENT" && (
                <button type="button" className="ghost small" onClick={() => onRemove(p.id)} aria-label={`Remove ${p.name}`}>
                  remove
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {students.length === 0 && <p className="muted">No students yet: project the code (click it) and they join from any browser.</p>}
    </details>
  );
}

/**
 * The student bar: following the presenter (the explorer moves with them) or exploring on one's
 * own — any interaction with the explorer detaches; "Return to presenter" or the instructor's
 * "bring everyone back" re-attaches.
 */
function StudentBar({ s, room, plumbing, controls }: { s: SessionState; room: Room | null; plumbing: RoomPlumbing; controls: ClassControls }) {
  const presenting = usePresenterRole(s, room, plumbing);
  const presentation = usePresentation(room?.doc);
  const [detached, setDetached] = useState(false);
  const following = !presenting && !detached;
  useFollowView(following ? presentation : null);
  // our presence tells the staff whether we follow
  const presenterId = s.presenter?.id ?? null;
  useEffect(() => plumbing.local.setFollowing(following ? presenterId : null), [plumbing, following, presenterId]);
  // "bring everyone back": a newer recall than the one we saw when we came
  const seenRecall = useRef<number | null>(null);
  useEffect(() => {
    if (seenRecall.current !== null && controls.recall > seenRecall.current) setDetached(false);
    seenRecall.current = controls.recall;
  }, [controls.recall]);
  // an interaction with the explorer (not with this bar) detaches: the student explores on their own
  useEffect(() => {
    if (!following) return;
    const onInput = (e: Event) => {
      const t = e.target as Element | null;
      if (!t?.closest?.(".class-explorer")) return;
      setDetached(true);
    };
    const opts = { capture: true } as const;
    for (const ev of ["pointerdown", "wheel", "keydown"]) document.addEventListener(ev, onInput, opts);
    return () => {
      for (const ev of ["pointerdown", "wheel", "keydown"]) document.removeEventListener(ev, onInput, opts);
    };
  }, [following]);
  let line: ReactNode;
  if (presenting) line = <span className="class-presenting" data-testid="class-presenting">● You are presenting: the class sees your view</span>;
  else if (!presentation) line = <span data-testid="class-following">Waiting for {s.presenter?.name ?? "the presenter"} to show a view…</span>;
  else if (following)
    line = presentation.by.id.startsWith("answer:") ? (
      <span data-testid="class-following">
        Everyone sees <strong>{presentation.by.name === "a student" ? "a student's" : `${presentation.by.name}'s`}</strong> answer — interact with the view to explore on your own
      </span>
    ) : (
      <span data-testid="class-following">
        Following <strong>{presentation.by.name}</strong> — interact with the view to explore on your own
      </span>
    );
  else
    line = (
      <>
        <span className="class-detached-me" data-testid="class-detached-me">You are exploring on your own</span>
        <button type="button" className="small" onClick={() => setDetached(false)} data-testid="class-return">
          Return to presenter
        </button>
      </>
    );
  return (
    <div className={`class-bar student${following && presentation ? " following" : ""}`} role="toolbar" aria-label="Class session">
      <div className="class-head">
        <div>
          <div className="class-title">{s.title}</div>
          <div className="muted">
            {s.datasetName} · {s.me.name}
          </div>
        </div>
        <span className="spacer" />
        <span className="class-count" data-testid="class-audience">
          {Math.max(controls.audience, 1)} in class
        </span>
        <Status room={room} />
      </div>
      <div className="class-controls">{line}</div>
      <StudentTask sessionId={s.id} stamp={controls.tasks} local={plumbing.local} />
    </div>
  );
}

/** The join code, link and QR code full screen, to project; Escape, the button or a click closes it. */
function Projector({ joinUrl, code, qrSvg, onClose }: { joinUrl: string; code: string; qrSvg: string | null; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  const closeNow = useRef(onClose);
  closeNow.current = onClose;
  // once, while open: focus the close button, Escape closes, focus returns to what opened it
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") closeNow.current();
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      opener?.focus?.();
    };
  }, []);
  return (
    <div className="class-projector" role="dialog" aria-modal="true" aria-label="Join code" onClick={onClose} data-testid="class-projector">
      <div>
        <p>Join at</p>
        <p className="mono big-url">{joinUrl}</p>
        <p className="mono big-code">{code}</p>
        {qrSvg && <span className="class-qr large" role="img" aria-label={`QR code for ${joinUrl}`} dangerouslySetInnerHTML={{ __html: qrSvg }} />}
        <p>
          <button type="button" ref={close} className="secondary" onClick={onClose} data-testid="class-projector-close">
            Close (Esc)
          </button>
        </p>
      </div>
    </div>
  );
}

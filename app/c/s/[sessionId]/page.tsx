import Link from "next/link";
import QRCode from "qrcode";
import { ClassSession } from "@/app/_components/classroom/class-session";
import { ClassMessage } from "@/app/_components/classroom/join-form";
import { clientErrorMessage, pageBaseUrl, sessionCaller } from "@/app/_lib/server-caller";
import { currentUserId } from "@/server/auth";
import "@/app/_components/classroom/classroom.css";

/**
 * A class session: the presenter screen for its instructor and TAs (join code, QR code, who
 * follows, controls), the student screen for everyone else (the presenter's view, detach/return).
 * The session is read through the same procedure (and its session check) the page then polls.
 */
export default async function ClassSessionPage({ params }: { params: Promise<{ sessionId: string }> }) {
  const { sessionId } = await params;
  const caller = await sessionCaller(await currentUserId());
  let state;
  try {
    state = await caller.classroom.state({ sessionId });
  } catch (e) {
    return (
      <ClassMessage title="Class session" message={clientErrorMessage(e) ?? "this class session could not be opened: try again"} testId="class-error">
        <Link href="/c">Join a class with its code</Link>
      </ClassMessage>
    );
  }
  const staff = state.me.role !== "STUDENT";
  const joinUrl = `${await pageBaseUrl()}/c/${state.code}`;
  // the QR code is drawn here, as SVG markup from the `qrcode` library: nothing to load on the page
  const qrSvg = staff ? await QRCode.toString(joinUrl, { type: "svg", margin: 1, errorCorrectionLevel: "M" }) : null;
  return <ClassSession initial={state} joinUrl={joinUrl} qrSvg={qrSvg} />;
}

import { ArchiveView } from "@/app/_components/classroom/archive-view";
import { ClassMessage } from "@/app/_components/classroom/join-form";
import { clientErrorMessage, sessionCaller } from "@/app/_lib/server-caller";
import "@/app/_components/classroom/classroom.css";

/** A class's read-only archive, by its unguessable link: no account or credential needed. */
export default async function ArchivePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  try {
    const archive = await (await sessionCaller(null)).classroom.archive({ token });
    return <ArchiveView archive={archive} token={token} />;
  } catch (e) {
    return <ClassMessage title="Class archive" message={clientErrorMessage(e) ?? "the archive could not be read: try again"} testId="archive-error" />;
  }
}

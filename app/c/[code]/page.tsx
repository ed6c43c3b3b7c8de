import { JoinForm } from "@/app/_components/classroom/join-form";
import { currentUserId } from "@/server/auth";
import "@/app/_components/classroom/classroom.css";

/** The join link (and the QR code's target): the code is filled in. */
export default async function JoinByLinkPage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  return (
    <div className="class-join-page">
      <JoinForm code={decodeURIComponent(code).slice(0, 12).toUpperCase()} signedIn={(await currentUserId()) !== null} />
    </div>
  );
}

import { JoinForm } from "@/app/_components/classroom/join-form";
import { currentUserId } from "@/server/auth";
import "@/app/_components/classroom/classroom.css";

/** Join a class by typing its code. */
export default async function JoinPage() {
  return (
    <div className="class-join-page">
      <JoinForm code="" signedIn={(await currentUserId()) !== null} />
    </div>
  );
}

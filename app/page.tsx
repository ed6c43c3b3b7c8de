import { redirect } from "next/navigation";
import { currentUserId } from "@/server/auth";

export default async function Home() {
  redirect((await currentUserId()) ? "/w" : "/signin");
}

import { handleTrpc } from "@/server/http/trpc-handler";

export { handleTrpc as GET, handleTrpc as POST };

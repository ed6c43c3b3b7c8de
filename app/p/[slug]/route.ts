// Served by the finding dispatcher (app/f/_lib/serve.ts), which answers 404/410 itself.
import { handleFindingRequest } from "@/app/f/_lib/handle";

export const dynamic = "force-dynamic";
export const GET = handleFindingRequest;

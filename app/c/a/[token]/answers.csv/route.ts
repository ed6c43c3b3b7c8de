/** A class's answers as CSV, by the archive's unguessable link, once the class has ended (access.ts TOKEN_ROUTES). */
import { errorResponse } from "@/server/api/errors";
import { db } from "@/server/db/client";
import { answersCsv } from "@/server/services/classroom/archive";

export async function GET(_req: Request, route: { params: Promise<{ token: string }> }): Promise<Response> {
  try {
    const { filename, csv } = await answersCsv(db(), (await route.params).token);
    return new Response(csv, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${filename}"`, "cache-control": "private, no-store" } });
  } catch (e) {
    return errorResponse(e, "answers export");
  }
}

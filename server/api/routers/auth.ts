import { createUser } from "@/server/services/users";
import { LIMITS } from "@/server/services/rate-limits";
import { ZSignUp, ZUserOut } from "@/server/services/schemas";
import { publicProcedure, rateLimited, router } from "../trpc";

export const authRouter = router({
  signUp: publicProcedure
    .use(rateLimited((ctx) => [[LIMITS.signUpAddress, ctx.clientAddress ?? "unknown"]]))
    .input(ZSignUp)
    .output(ZUserOut)
    .mutation(({ ctx, input }) => createUser(ctx.db, input)),
});

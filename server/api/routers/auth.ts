import { createUser } from "@/server/services/users";
import { ZSignUp, ZUserOut } from "@/server/services/schemas";
import { publicProcedure, router } from "../trpc";

export const authRouter = router({
  signUp: publicProcedure
    .input(ZSignUp)
    .output(ZUserOut)
    .mutation(({ ctx, input }) => createUser(ctx.db, input)),
});

import { authPost, handlers } from "@/server/auth";

export const { GET } = handlers;
export { authPost as POST };

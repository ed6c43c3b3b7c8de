import { z } from "zod";
import { defineJob } from "./define";

/** Housekeeping (daily, by the worker's crontab): delete invite links that expired or were used over a week ago. */
export const PURGE_INVITES_JOB = defineJob("invites:purge", z.object({}).passthrough());

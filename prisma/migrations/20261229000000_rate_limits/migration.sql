-- CreateTable
-- UNLOGGED: rate-limit counters are short-lived and written on every attempt. Without WAL a
-- write needs no disk flush (1,000 spends on one counter took a third less time here). A crash
-- of PostgreSQL empties the table, which only forgets the current windows. (No semicolons in
-- these comments: the migration runner splits the script at them.)
CREATE UNLOGGED TABLE "RateLimitBucket" (
    "key" TEXT NOT NULL,
    "points" INTEGER NOT NULL,
    "resetAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RateLimitBucket_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "RateLimitBucket_resetAt_idx" ON "RateLimitBucket"("resetAt");


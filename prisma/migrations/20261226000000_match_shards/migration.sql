-- Match queries answered by time-range shard jobs (issue 4): the run while its shards work,
-- and each shard's partial result per round. Written in the form `prisma migrate diff` emits.

-- CreateTable
CREATE TABLE "MatchShardRun" (
    "key" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "query" JSONB NOT NULL,
    "shards" INTEGER NOT NULL,
    "round" TEXT NOT NULL,
    "minLevel" INTEGER NOT NULL DEFAULT 0,
    "levelsMs" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MatchShardRun_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "MatchShardPartial" (
    "key" TEXT NOT NULL,
    "round" TEXT NOT NULL,
    "shard" INTEGER NOT NULL,
    "partial" JSONB NOT NULL,
    "computeMs" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MatchShardPartial_pkey" PRIMARY KEY ("key","round","shard")
);

-- CreateIndex
CREATE INDEX "MatchShardRun_datasetId_idx" ON "MatchShardRun"("datasetId");

-- AddForeignKey
ALTER TABLE "MatchShardRun" ADD CONSTRAINT "MatchShardRun_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MatchShardPartial" ADD CONSTRAINT "MatchShardPartial_key_fkey" FOREIGN KEY ("key") REFERENCES "MatchShardRun"("key") ON DELETE CASCADE ON UPDATE CASCADE;

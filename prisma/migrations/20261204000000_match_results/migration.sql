-- CreateTable
CREATE TABLE "MatchResult" (
    "key" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "query" JSONB NOT NULL,
    "result" JSONB NOT NULL,
    "computeMs" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MatchResult_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "MatchResult_datasetId_idx" ON "MatchResult"("datasetId");

-- AddForeignKey
ALTER TABLE "MatchResult" ADD CONSTRAINT "MatchResult_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

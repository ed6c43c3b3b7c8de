-- Analysis results (issue 16): cell search, threshold guidance, layer comparison and a cell's
-- partners, one row per canonical query, written by the worker job (progress, then the result).
-- Written in the form `prisma migrate diff` emits.

-- CreateTable
CREATE TABLE "AnalysisResult" (
    "key" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "query" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "phase" TEXT NOT NULL DEFAULT 'queued',
    "percent" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "result" JSONB,
    "error" TEXT,
    "computeMs" DOUBLE PRECISION,
    "prepareMs" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AnalysisResult_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "AnalysisResult_datasetId_idx" ON "AnalysisResult"("datasetId");

-- AddForeignKey
ALTER TABLE "AnalysisResult" ADD CONSTRAINT "AnalysisResult_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

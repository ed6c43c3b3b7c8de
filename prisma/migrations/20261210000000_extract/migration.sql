-- CreateTable
CREATE TABLE "DatasetModel" (
    "datasetId" TEXT NOT NULL,
    "arch" TEXT NOT NULL,
    "tokenizer" TEXT NOT NULL,
    "unknown" JSONB NOT NULL,
    "prefixes" JSONB NOT NULL,
    "vocab" JSONB NOT NULL,
    "weightsName" TEXT NOT NULL,
    "weights" BYTEA NOT NULL,
    "text" TEXT NOT NULL,
    "demo" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DatasetModel_pkey" PRIMARY KEY ("datasetId")
);

-- CreateIndex
CREATE INDEX "DatasetModel_demo_idx" ON "DatasetModel"("demo");

-- AddForeignKey
ALTER TABLE "DatasetModel" ADD CONSTRAINT "DatasetModel_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;


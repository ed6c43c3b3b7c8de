-- CreateEnum
CREATE TYPE "DatasetStatus" AS ENUM ('IMPORTING', 'READY', 'FAILED');

-- CreateTable
CREATE TABLE "Dataset" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "format" TEXT NOT NULL DEFAULT '',
    "status" "DatasetStatus" NOT NULL DEFAULT 'IMPORTING',
    "steps" INTEGER NOT NULL DEFAULT 0,
    "vocabularySize" INTEGER NOT NULL DEFAULT 0,
    "regexSearch" BOOLEAN NOT NULL DEFAULT false,
    "separator" TEXT NOT NULL DEFAULT ' ',
    "report" JSONB,
    "phase" TEXT NOT NULL DEFAULT 'queued',
    "percent" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "readyAt" TIMESTAMP(3),

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DatasetSource" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT,
    "layer" INTEGER,
    "transform" TEXT NOT NULL,
    "unsigned" BOOLEAN NOT NULL,
    "steps" INTEGER NOT NULL,
    "cells" INTEGER NOT NULL,
    "chunkRows" INTEGER NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "mean" DOUBLE PRECISION NOT NULL,
    "std" DOUBLE PRECISION NOT NULL,
    "histogram" JSONB NOT NULL,

    CONSTRAINT "DatasetSource_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StateChunk" (
    "sourceId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "rows" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "StateChunk_pkey" PRIMARY KEY ("sourceId","index")
);

-- CreateTable
CREATE TABLE "TokenChunk" (
    "datasetId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "rows" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "TokenChunk_pkey" PRIMARY KEY ("datasetId","index")
);

-- CreateTable
CREATE TABLE "VocabEntry" (
    "datasetId" TEXT NOT NULL,
    "tokenId" INTEGER NOT NULL,
    "token" TEXT NOT NULL,

    CONSTRAINT "VocabEntry_pkey" PRIMARY KEY ("datasetId","tokenId")
);

-- CreateTable
CREATE TABLE "MetaTrack" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "labels" JSONB,
    "range" JSONB,
    "hasWeights" BOOLEAN NOT NULL,
    "chunkRows" INTEGER NOT NULL,

    CONSTRAINT "MetaTrack_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MetaChunk" (
    "trackId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "rows" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "weights" BYTEA,

    CONSTRAINT "MetaChunk_pkey" PRIMARY KEY ("trackId","index")
);

-- CreateIndex
CREATE INDEX "Dataset_workspaceId_createdAt_idx" ON "Dataset"("workspaceId", "createdAt");

-- CreateIndex
CREATE INDEX "Dataset_createdById_idx" ON "Dataset"("createdById");

-- CreateIndex
CREATE INDEX "DatasetSource_datasetId_idx" ON "DatasetSource"("datasetId");

-- CreateIndex
CREATE UNIQUE INDEX "DatasetSource_datasetId_name_key" ON "DatasetSource"("datasetId", "name");

-- CreateIndex
CREATE INDEX "MetaTrack_datasetId_idx" ON "MetaTrack"("datasetId");

-- CreateIndex
CREATE UNIQUE INDEX "MetaTrack_datasetId_name_key" ON "MetaTrack"("datasetId", "name");

-- AddForeignKey
ALTER TABLE "Dataset" ADD CONSTRAINT "Dataset_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Dataset" ADD CONSTRAINT "Dataset_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetSource" ADD CONSTRAINT "DatasetSource_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StateChunk" ADD CONSTRAINT "StateChunk_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "DatasetSource"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TokenChunk" ADD CONSTRAINT "TokenChunk_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VocabEntry" ADD CONSTRAINT "VocabEntry_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetaTrack" ADD CONSTRAINT "MetaTrack_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetaChunk" ADD CONSTRAINT "MetaChunk_trackId_fkey" FOREIGN KEY ("trackId") REFERENCES "MetaTrack"("id") ON DELETE CASCADE ON UPDATE CASCADE;



-- Float/int chunks barely compress: store them out of line without trying
-- (pglz on float32 costs CPU and saves next to nothing). See server/storage/DESIGN.md.
ALTER TABLE "StateChunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;
ALTER TABLE "TokenChunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;
ALTER TABLE "MetaChunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;
ALTER TABLE "MetaChunk" ALTER COLUMN "weights" SET STORAGE EXTERNAL;

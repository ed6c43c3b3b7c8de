-- Persisted on/off bit indices of sources (issue 15, server/storage/DESIGN.md). Written in the
-- form `prisma migrate diff` emits, plus STORAGE EXTERNAL on the bit columns (they are read by
-- substring: one cell's column of a chunk without the rest).

-- CreateTable
CREATE TABLE "SourceBitIndex" (
    "id" TEXT NOT NULL,
    "sourceId" TEXT NOT NULL,
    "threshold" REAL NOT NULL,
    "chunkSteps" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SourceBitIndex_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BitIndexChunk" (
    "indexId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "steps" INTEGER NOT NULL,
    "rows" BYTEA NOT NULL,
    "cols" BYTEA NOT NULL,

    CONSTRAINT "BitIndexChunk_pkey" PRIMARY KEY ("indexId","index")
);

-- CreateIndex
CREATE UNIQUE INDEX "SourceBitIndex_sourceId_threshold_key" ON "SourceBitIndex"("sourceId", "threshold");

-- AddForeignKey
ALTER TABLE "SourceBitIndex" ADD CONSTRAINT "SourceBitIndex_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "DatasetSource"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
-- Deferred: a worker building an index writes its chunks first and the index row last, in one
-- transaction (server/storage/bit-index-store.ts), so the source row is locked only at the end.
ALTER TABLE "BitIndexChunk" ADD CONSTRAINT "BitIndexChunk_indexId_fkey" FOREIGN KEY ("indexId") REFERENCES "SourceBitIndex"("id") ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE "BitIndexChunk" ALTER COLUMN "rows" SET STORAGE EXTERNAL;
ALTER TABLE "BitIndexChunk" ALTER COLUMN "cols" SET STORAGE EXTERNAL;

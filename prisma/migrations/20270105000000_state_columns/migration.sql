-- A cell-major copy of each source's float32 chunks (issue 15, server/storage/DESIGN.md "Session 5"):
-- what a fast match at a threshold never asked before reads (k cells by substring) instead of the
-- whole row-major source. Written once per source by a background job, all chunks in one
-- transaction (so a source has all of them or none). Written in the form `prisma migrate diff`
-- emits, plus STORAGE EXTERNAL (read by substring: one cell of a chunk without the rest).

-- CreateTable
CREATE TABLE "StateColumnChunk" (
    "sourceId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "rows" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "StateColumnChunk_pkey" PRIMARY KEY ("sourceId","index")
);

-- AddForeignKey
-- Deferred: the build inserts every chunk in one transaction and the source row is locked (FOR KEY
-- SHARE) only at its commit, so deleting the dataset meanwhile is not held up (the build then fails).
ALTER TABLE "StateColumnChunk" ADD CONSTRAINT "StateColumnChunk_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "DatasetSource"("id") ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE "StateColumnChunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;

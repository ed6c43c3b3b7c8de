-- CreateEnum
CREATE TYPE "FindingVisibility" AS ENUM ('PRIVATE', 'WORKSPACE', 'UNLISTED', 'PUBLIC');

-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN     "citation" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "contentHash" TEXT;

-- CreateTable
CREATE TABLE "Finding" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "datasetId" TEXT,
    "hypothesisId" TEXT,
    "visibility" "FindingVisibility" NOT NULL DEFAULT 'UNLISTED',
    "title" TEXT NOT NULL,
    "latestVersion" INTEGER NOT NULL,
    "authorIds" TEXT[],
    "createdById" TEXT,
    "withdrawnAt" TIMESTAMP(3),
    "withdrawnById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Finding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FindingVersion" (
    "findingId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "snapshot" BYTEA NOT NULL,
    "states" BYTEA NOT NULL,
    "snapshotHash" TEXT NOT NULL,
    "publishedById" TEXT,
    "publishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FindingVersion_pkey" PRIMARY KEY ("findingId","version")
);

-- CreateIndex
CREATE INDEX "Finding_workspaceId_visibility_idx" ON "Finding"("workspaceId", "visibility");

-- CreateIndex
CREATE INDEX "Finding_datasetId_idx" ON "Finding"("datasetId");

-- CreateIndex
CREATE INDEX "Finding_hypothesisId_idx" ON "Finding"("hypothesisId");

-- CreateIndex
CREATE INDEX "Finding_createdById_idx" ON "Finding"("createdById");

-- CreateIndex
CREATE INDEX "Finding_withdrawnById_idx" ON "Finding"("withdrawnById");

-- CreateIndex
CREATE INDEX "FindingVersion_publishedById_idx" ON "FindingVersion"("publishedById");

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_hypothesisId_fkey" FOREIGN KEY ("hypothesisId") REFERENCES "Hypothesis"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_withdrawnById_fkey" FOREIGN KEY ("withdrawnById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FindingVersion" ADD CONSTRAINT "FindingVersion_findingId_fkey" FOREIGN KEY ("findingId") REFERENCES "Finding"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FindingVersion" ADD CONSTRAINT "FindingVersion_publishedById_fkey" FOREIGN KEY ("publishedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

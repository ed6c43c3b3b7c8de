-- CreateEnum
CREATE TYPE "ClassRole" AS ENUM ('INSTRUCTOR', 'TA', 'STUDENT');

-- CreateTable
CREATE TABLE "ClassSession" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "createdById" TEXT,
    "presenterId" TEXT,
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "archiveToken" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "ClassSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ClassParticipant" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "userId" TEXT,
    "name" TEXT NOT NULL,
    "role" "ClassRole" NOT NULL,
    "joinedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "removedAt" TIMESTAMP(3),

    CONSTRAINT "ClassParticipant_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ClassSession_code_key" ON "ClassSession"("code");

-- CreateIndex
CREATE UNIQUE INDEX "ClassSession_archiveToken_key" ON "ClassSession"("archiveToken");

-- CreateIndex
CREATE INDEX "ClassSession_workspaceId_idx" ON "ClassSession"("workspaceId");

-- CreateIndex
CREATE INDEX "ClassSession_datasetId_idx" ON "ClassSession"("datasetId");

-- CreateIndex
CREATE INDEX "ClassSession_createdById_idx" ON "ClassSession"("createdById");

-- CreateIndex
CREATE INDEX "ClassParticipant_sessionId_idx" ON "ClassParticipant"("sessionId");

-- CreateIndex
CREATE INDEX "ClassParticipant_userId_idx" ON "ClassParticipant"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "ClassParticipant_sessionId_userId_key" ON "ClassParticipant"("sessionId", "userId");

-- AddForeignKey
ALTER TABLE "ClassSession" ADD CONSTRAINT "ClassSession_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClassSession" ADD CONSTRAINT "ClassSession_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClassSession" ADD CONSTRAINT "ClassSession_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClassParticipant" ADD CONSTRAINT "ClassParticipant_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "ClassSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClassParticipant" ADD CONSTRAINT "ClassParticipant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- CreateEnum
CREATE TYPE "ClassTaskKind" AS ENUM ('VIEW', 'POLL');

-- CreateTable
CREATE TABLE "ClassTask" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "kind" "ClassTaskKind" NOT NULL,
    "prompt" TEXT NOT NULL,
    "options" TEXT[],
    "closesAt" TIMESTAMP(3),
    "revealedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClassTask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ClassAnswer" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "participantId" TEXT NOT NULL,
    "source" TEXT,
    "start" INTEGER,
    "end" INTEGER,
    "cells" INTEGER[],
    "threshold" DOUBLE PRECISION,
    "choice" INTEGER,
    "text" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ClassAnswer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ClassTask_sessionId_createdAt_idx" ON "ClassTask"("sessionId", "createdAt");

-- CreateIndex
CREATE INDEX "ClassAnswer_participantId_idx" ON "ClassAnswer"("participantId");

-- CreateIndex
CREATE UNIQUE INDEX "ClassAnswer_taskId_participantId_key" ON "ClassAnswer"("taskId", "participantId");

-- AddForeignKey
ALTER TABLE "ClassTask" ADD CONSTRAINT "ClassTask_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "ClassSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClassAnswer" ADD CONSTRAINT "ClassAnswer_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "ClassTask"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClassAnswer" ADD CONSTRAINT "ClassAnswer_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "ClassParticipant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "ClassStep" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "view" JSONB NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClassStep_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ClassStep_sessionId_at_idx" ON "ClassStep"("sessionId", "at");

-- AddForeignKey
ALTER TABLE "ClassStep" ADD CONSTRAINT "ClassStep_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "ClassSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "MetaTrack" ADD COLUMN "max" DOUBLE PRECISION,
ADD COLUMN "min" DOUBLE PRECISION;

-- The extent of the scalar tracks stored before this migration, read from their chunks:
-- float32 little-endian, rows * width values per chunk. IEEE 754 single precision:
-- value = sign * 2^(e - 127) * (1 + m / 2^23), subnormals (e = 0) sign * m * 2^-149;
-- e = 255 is Inf or NaN, which a colour scale skips.
WITH "bits" AS (
  SELECT c."trackId",
         get_byte(c."data", 4 * i)
           | (get_byte(c."data", 4 * i + 1) << 8)
           | (get_byte(c."data", 4 * i + 2) << 16)
           | (get_byte(c."data", 4 * i + 3)::bigint << 24) AS "b"
  FROM "MetaChunk" c
  JOIN "MetaTrack" t ON t."id" = c."trackId"
  CROSS JOIN LATERAL generate_series(0, length(c."data") / 4 - 1) AS i
  WHERE t."kind" = 'scalar' AND t."min" IS NULL
),
"finite" AS (
  SELECT "trackId",
         (CASE WHEN ("b" >> 31) = 1 THEN -1.0 ELSE 1.0 END)::float8
           * CASE WHEN (("b" >> 23) & 255) = 0 THEN ("b" & 8388607)::float8 * power(2::float8, -149)
                  ELSE (1 + ("b" & 8388607)::float8 / 8388608) * power(2::float8, (("b" >> 23) & 255) - 127) END AS "v"
  FROM "bits"
  WHERE (("b" >> 23) & 255) <> 255
)
UPDATE "MetaTrack" t
SET "min" = e."lo", "max" = e."hi"
FROM (SELECT "trackId", min("v") AS "lo", max("v") AS "hi" FROM "finite" GROUP BY "trackId") e
WHERE t."id" = e."trackId";

/**
 * Figures as files: the core renderer's SVG with the bundled DejaVu fonts embedded (subset to the
 * characters drawn, as @font-face data URLs, so no viewer depends on installed fonts), and PNG
 * rendered from that SVG by resvg with the same fonts loaded (resvg ignores @font-face). Both are
 * pure functions of the snapshot and the options, so a URL always returns the same bytes; a
 * small cache keeps recent renders.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as fontkit from "fontkit";
import subsetFont from "subset-font";
import { FONT_FACE_SLOT, FONT_FACES, FONT_FAMILY, renderCard, renderFigure, type FigureOptions, type FindingData, type FontFace, type GlyphSet, type MeasureText } from "@statescope/core";

const FACE_FILES: Record<FontFace, string> = {
  "sans-regular": "DejaVuSans.ttf",
  "sans-bold": "DejaVuSans-Bold.ttf",
  "mono-regular": "DejaVuSansMono.ttf",
  "mono-bold": "DejaVuSansMono-Bold.ttf",
};

interface Fonts {
  files: Record<FontFace, Buffer>;
  paths: string[];
  measure: MeasureText;
}

let fonts: Fonts | undefined;

/** The bundled fonts (npm package dejavu-fonts-ttf), read once. */
function loadFonts(): Fonts {
  if (fonts) return fonts;
  const dir = path.join(process.cwd(), "node_modules", "dejavu-fonts-ttf", "ttf");
  const files = {} as Record<FontFace, Buffer>;
  for (const face of FONT_FACES) {
    try {
      files[face] = readFileSync(path.join(dir, FACE_FILES[face]));
    } catch (e) {
      throw new Error(`the figure fonts are missing (${path.join(dir, FACE_FILES[face])}): run \`npm install\` (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  const metrics = (face: FontFace) => {
    const font = fontkit.create(files[face]) as fontkit.Font;
    const advances = new Map<number, number>();
    return (s: string) => {
      let w = 0;
      for (const ch of s) {
        const cp = ch.codePointAt(0)!;
        let a = advances.get(cp);
        if (a === undefined) {
          a = font.glyphForCodePoint(cp).advanceWidth / font.unitsPerEm;
          advances.set(cp, a);
        }
        w += a;
      }
      return w;
    };
  };
  const sans = metrics("sans-regular");
  const mono = metrics("mono-regular");
  fonts = { files, paths: FONT_FACES.map((face) => path.join(dir, FACE_FILES[face])), measure: (s, size, role) => (role === "mono" ? mono(s) : sans(s)) * size };
  return fonts;
}

/** Text advances of the bundled fonts, for layouts that fit text to boxes. */
export function figureMeasure(): MeasureText {
  return loadFonts().measure;
}

/** @font-face rules embedding the subsets of the bundled fonts that `glyphs` needs. */
export async function fontFaceCss(glyphs: GlyphSet): Promise<string> {
  const f = loadFonts();
  let css = "";
  for (const face of FONT_FACES) {
    const chars = glyphs.chars(face);
    if (!chars) continue;
    const subset = await subsetFont(f.files[face], chars, { targetFormat: "truetype" });
    const family = FONT_FAMILY[face.startsWith("mono") ? "mono" : "sans"];
    css += `@font-face{font-family:"${family}";font-weight:${face.endsWith("bold") ? 700 : 400};src:url(data:font/ttf;base64,${Buffer.from(subset).toString("base64")}) format("truetype")}`;
  }
  return css;
}

/** A stand-alone SVG with its fonts embedded. */
async function standalone(fig: { svg: string; glyphs: GlyphSet }): Promise<string> {
  return fig.svg.replace(FONT_FACE_SLOT, await fontFaceCss(fig.glyphs));
}

/** PNG of an SVG at `scale` × its size (paper figures: 96 px per inch × scale), with the bundled fonts. */
export function svgToPng(svg: string, scale: number): Buffer {
  const f = loadFonts();
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: {
      fontFiles: f.paths,
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY.sans,
      sansSerifFamily: FONT_FAMILY.sans,
      monospaceFamily: FONT_FAMILY.mono,
    },
    shapeRendering: 2,
    textRendering: 1,
  });
  return Buffer.from(r.render().asPng());
}

const cache = new Map<string, Buffer>();
let cacheBytes = 0;
const CACHE_BYTES = 64 * 1024 * 1024;

async function cached(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const out = await make();
  cache.set(key, out);
  cacheBytes += out.length;
  while (cacheBytes > CACHE_BYTES && cache.size > 1) {
    const [k, v] = cache.entries().next().value!;
    cache.delete(k);
    cacheBytes -= v.length;
  }
  return out;
}

/** Forgets every cached render (tests: prove bytes come from the snapshot, not the cache). */
export function resetFigureCaches(): void {
  cache.clear();
  cacheBytes = 0;
}

export type FigureFormat = "svg" | "png";

/**
 * A figure file of a finding version (`versionKey` identifies its immutable snapshot, e.g. the
 * snapshot hash). PNG takes `scale` 2 or 4.
 */
export async function figureFile(versionKey: string, data: FindingData, opts: Omit<FigureOptions, "measure" | "interactive">, format: FigureFormat, scale = 2): Promise<Buffer> {
  const key = `${versionKey}:${JSON.stringify([opts.view, opts.width, opts.theme ?? "light", opts.rows ?? null, opts.zoom ?? null])}`;
  const svg = await cached(`${key}:svg`, async () => Buffer.from(await standalone(renderFigure(data, { ...opts, measure: figureMeasure() })), "utf8"));
  if (format === "svg") return svg;
  return cached(`${key}:png${scale}`, async () => svgToPng(svg.toString("utf8"), scale));
}

/** The 1200 × 630 preview image (Open Graph / Twitter card). */
export async function cardPng(versionKey: string, data: FindingData, subtitle: string): Promise<Buffer> {
  return cached(`${versionKey}:card:${subtitle}`, async () => svgToPng(await standalone(renderCard(data, { measure: figureMeasure(), subtitle })), 1));
}

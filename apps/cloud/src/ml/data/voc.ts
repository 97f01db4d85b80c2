/**
 * Pascal VOC annotation XML, the subset detection data sets use: <filename>, <size><width>/<height>, and per
 * <object> a <name> and a <bndbox> with <xmin> <ymin> <xmax> <ymax> in pixels. Parsed with small regular
 * expressions (no XML library): comments are stripped, the five predefined entities decoded.
 */
import { DatasetError } from './types.js';

export interface VocObject {
  readonly name: string;
  readonly xmin: number;
  readonly ymin: number;
  readonly xmax: number;
  readonly ymax: number;
}

export interface VocAnnotation {
  readonly filename: string;
  readonly width: number;
  readonly height: number;
  readonly objects: readonly VocObject[];
}

export function parseVoc(xml: string, path: string): VocAnnotation {
  const doc = xml.replace(/<!--[\s\S]*?-->/g, '');
  if (!/<annotation[\s>]/.test(doc)) throw new DatasetError('not a VOC annotation (no <annotation>)', path);
  const filename = text(doc, 'filename', path);
  const size = element(doc, 'size', path);
  const width = number(size, 'width', path);
  const height = number(size, 'height', path);
  const objects: VocObject[] = [];
  for (const m of doc.matchAll(/<object>([\s\S]*?)<\/object>/g)) {
    const obj = m[1] as string;
    const box = element(obj, 'bndbox', path);
    const o = {
      name: text(obj, 'name', path),
      xmin: number(box, 'xmin', path),
      ymin: number(box, 'ymin', path),
      xmax: number(box, 'xmax', path),
      ymax: number(box, 'ymax', path),
    };
    if (
      !(
        o.xmin >= 0 &&
        o.ymin >= 0 &&
        o.xmin < o.xmax &&
        o.ymin < o.ymax &&
        o.xmax <= width &&
        o.ymax <= height
      )
    ) {
      throw new DatasetError(
        `box ${JSON.stringify(o)} is empty or outside the ${width}x${height} image`,
        path,
      );
    }
    objects.push(o);
  }
  return { filename, width, height, objects };
}

function element(xml: string, tag: string, path: string): string {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m) throw new DatasetError(`missing <${tag}>`, path);
  return m[1] as string;
}

function text(xml: string, tag: string, path: string): string {
  return element(xml, tag, path)
    .trim()
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function number(xml: string, tag: string, path: string): number {
  const t = text(xml, tag, path);
  const v = Number(t);
  if (t === '' || !Number.isFinite(v)) throw new DatasetError(`<${tag}> is not a number: "${t}"`, path);
  return v;
}

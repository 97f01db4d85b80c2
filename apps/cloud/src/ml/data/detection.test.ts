import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import { type DetectionDataset, loadDetection, scaleBoxes } from './detection.js';
import { loadRaccoon } from './index.js';
import { realDataDir, tempDir } from './test-fixtures.js';
import { DatasetError } from './types.js';
import { parseVoc } from './voc.js';

let t = tempDir();
afterEach(() => {
  t.done();
  t = tempDir();
});

function jpg(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], 4 * i);
  return jpeg.encode({ width, height, data }, 95).data;
}

function voc(file: string, w: number, h: number, boxes: [string, number, number, number, number][]): string {
  const objects = boxes.map(
    ([name, x0, y0, x1, y1]) =>
      `<object><name>${name}</name><bndbox><xmin>${x0}</xmin><ymin>${y0}</ymin><xmax>${x1}</xmax><ymax>${y1}</ymax></bndbox></object>`,
  );
  return `<annotation verified="yes"><!-- <object> in a comment --><filename>${file}</filename><size><width>${w}</width><height>${h}</height><depth>3</depth></size>${objects.join('\n')}</annotation>`;
}

/** 5 images of 40x20; img-4 has no objects; img-1 and img-3 are test in the CSVs. */
function writeSet(withXml: boolean): void {
  const csv = {
    train: ['filename,width,height,class,xmin,ymin,xmax,ymax'],
    test: ['filename,width,height,class,xmin,ymin,xmax,ymax'],
  };
  for (let i = 0; i < 5; i++) {
    const file = `img-${i}.jpg`;
    t.write(`images/${file}`, jpg(40, 20, [200, 50 * i, 0]));
    const boxes: [string, number, number, number, number][] =
      i === 4
        ? []
        : i === 2
          ? [
              ['cat', 0, 0, 40, 20],
              ['dog', 10, 5, 20, 15],
            ]
          : [['dog', 4, 2, 8 + i, 10]];
    if (withXml) t.write(`annotations/img-${i}.xml`, voc(file, 40, 20, boxes));
    for (const b of boxes) (i % 2 === 1 ? csv.test : csv.train).push([file, 40, 20, ...b].join(','));
  }
  t.write('train_labels.csv', csv.train.join('\n'));
  t.write('test_labels.csv', csv.test.join('\n'));
}

describe('loadDetection (generated files)', () => {
  it('reads VOC boxes, splits by the label CSVs and decodes resized RGB on demand', async () => {
    writeSet(true);
    const ds = await loadDetection(t.dir, 'toy');
    expect(ds.source).toBe('voc');
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.train.map((im) => im.file)).toEqual(['img-0.jpg', 'img-2.jpg', 'img-4.jpg']);
    expect(ds.test.map((im) => im.file)).toEqual(['img-1.jpg', 'img-3.jpg']);
    expect(ds.train[1]?.boxes).toEqual([
      [0, 0, 0, 40, 20],
      [1, 10, 5, 20, 15],
    ]);
    expect(ds.train[2]?.boxes).toEqual([]);
    const img = ds.train[0];
    if (!img) throw new Error('no image');
    const x = ds.decode(img, 8);
    expect(x).toHaveLength(8 * 8 * 3);
    expect(x[0]).toBeCloseTo(200 / 255, 1);
    expect(x[2]).toBeCloseTo(0, 1);
    expect(scaleBoxes(img, 8)).toEqual([[1, 0.8, 0.8, 1.6, 4]]);
    const split = ds.split(ds.test, 16, 1);
    const s = split.get(1);
    expect([split.size, s.x.length, s.boxes[0]?.[3]]).toEqual([2, 16 * 16 * 3, (11 * 16) / 40]);
  });

  it('reads the same boxes from the CSVs when there are no annotations', async () => {
    writeSet(true);
    const fromXml = await loadDetection(t.dir, 'toy');
    const fromCsv = await loadDetection(t.dir, 'toy', { source: 'csv' });
    const boxes = (d: DetectionDataset) => [...d.train, ...d.test].filter((im) => im.boxes.length > 0);
    expect(boxes(fromCsv)).toEqual(boxes(fromXml));
  });

  it('gives DatasetErrors for missing images, bad boxes, bad CSV rows and undecodable images', async () => {
    writeSet(true);
    t.write('annotations/img-9.xml', voc('img-9.jpg', 40, 20, []));
    await expect(loadDetection(t.dir, 'toy')).rejects.toThrow(/annotated image img-9\.jpg is missing/);
    t.write('annotations/img-9.xml', voc('img-0.jpg', 40, 20, [['dog', 30, 2, 50, 10]]));
    await expect(loadDetection(t.dir, 'toy')).rejects.toThrow(/outside the 40x20 image.*img-9\.xml/);
    t.write('annotations/img-9.xml', '<annotation><filename>a.jpg</filename></annotation>');
    await expect(loadDetection(t.dir, 'toy')).rejects.toThrow(/missing <size>/);
    t.write(
      'test_labels.csv',
      'filename,width,height,class,xmin,ymin,xmax,ymax\nimg-1.jpg,40,20,dog,4,x,9,10',
    );
    await expect(loadDetection(t.dir, 'toy', { source: 'csv' })).rejects.toThrow(/line 2: expected filename/);
    t.write('annotations/img-9.xml', voc('img-0.jpg', 40, 20, []));
    t.write('images/img-0.jpg', 'garbage');
    const ds = await loadDetection(t.dir, 'toy');
    const img0 = ds.train.find((im) => im.file === 'img-0.jpg');
    if (!img0) throw new Error('no image');
    expect(() => ds.decode(img0, 8)).toThrow(DatasetError);
    t.write('images/img-0.jpg', jpg(20, 20, [0, 0, 0]));
    expect(() => ds.decode(img0, 8)).toThrow(/image is 20x20 but annotated as 40x20/);
    await expect(loadDetection(`${t.dir}/none`, 'toy')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('parseVoc', () => {
  it('decodes entities and rejects non-numeric coordinates', () => {
    const a = parseVoc(voc('a.jpg', 10, 10, [['r&amp;d', 1, 1, 2, 2]]), 'a.xml');
    expect(a.objects[0]?.name).toBe('r&d');
    expect(() => parseVoc('<root/>', 'b.xml')).toThrow(/not a VOC annotation/);
    expect(() => parseVoc(voc('a.jpg', 10, 10, []).replace('<width>10', '<width>ten'), 'c.xml')).toThrow(
      /<width> is not a number: "ten"/,
    );
  });
});

const real = realDataDir('raccoon');

describe.skipIf(!real)(`loadRaccoon on the real data (${real ?? 'absent: skipped'})`, () => {
  it('has 200 images and 217 boxes, split 160 / 40 as in the CSVs, same boxes from XML and CSV', async () => {
    const ds = await loadRaccoon(real);
    const all = [...ds.train, ...ds.test];
    expect(all).toHaveLength(200);
    expect(all.reduce((n, im) => n + im.boxes.length, 0)).toBe(217);
    expect([ds.train.length, ds.test.length]).toEqual([160, 40]);
    expect(ds.classNames).toEqual(['raccoon']);
    const csv = await loadRaccoon(real, { source: 'csv' });
    expect([...csv.train, ...csv.test]).toEqual(all);
    const x = ds.decode(ds.train[0] as (typeof ds.train)[0], 128);
    expect(x).toHaveLength(128 * 128 * 3);
    expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('is a DatasetError when the folder is absent', async () => {
    await expect(loadRaccoon(`${real}-nope`)).rejects.toBeInstanceOf(DatasetError);
  });
});

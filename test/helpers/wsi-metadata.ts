/**
 * Builds DICOM JSON (PS3.18 F.2) series metadata for synthetic VL Whole Slide Microscopy slides,
 * and records where every frame sits, so tests can check `frameAt` against the truth.
 *
 * Frames of one level are listed plane by plane (optical path outermost, then focal plane),
 * each plane row-major; positioned levels may drop tiles (sparse) and shuffle the list; the
 * list is then cut into `instances` consecutive pieces.
 */
import type { DicomJsonDataset, DicomJsonElement } from '../../src/slide/dicom-json.js';

export const WSI_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.77.1.6';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const UID_ROOT = '1.2.826.0.1.3680043.8.498';

export interface SyntheticLevel {
  width: number;
  height: number;
  tileWidth: number;
  /** @default tileWidth */
  tileHeight?: number;
  /**
   * 'TILED_FULL': DimensionOrganizationType TILED_FULL, no per-frame groups.
   * 'positions': per-frame plane positions and no DimensionOrganizationType (OrthancWSIDicomizer).
   * 'implicit': neither (frames implicit by absence of positions).
   * 'both': TILED_FULL and per-frame positions.
   * @default 'TILED_FULL'
   */
  organization?: 'TILED_FULL' | 'positions' | 'implicit' | 'both';
  /** @default 1 */
  instances?: number;
  /** ConcatenationUID and offsets on the instances. @default instances > 1 */
  concatenation?: boolean;
  /** Seed: shuffle the frame order (positioned organisations only). */
  shuffle?: number;
  /** Tiles [column, row] left out (sparse; positioned organisations only). */
  missing?: [number, number][];
  /** @default 1 */
  focalPlanes?: number;
  /** @default 1 */
  opticalPaths?: number;
  /** Written as AvailableTransferSyntaxUID (0008,3002). @default JPEG baseline */
  transferSyntaxUid?: string;
  /** Written as TransferSyntaxUID (0002,0010) too, when set. */
  metaTransferSyntaxUid?: string;
  pixelSpacingMm?: [number, number];
  /** ImageType value 3. @default 'VOLUME' */
  flavor?: 'VOLUME' | 'THUMBNAIL';
  /** More elements on every instance of the level (DICOM JSON key -> element). */
  attributes?: Record<string, unknown>;
}

export interface SyntheticAncillary {
  flavor: 'LABEL' | 'OVERVIEW' | 'THUMBNAIL';
  width: number;
  height: number;
  /** Write TotalPixelMatrixColumns/Rows too. @default false */
  totalPixelMatrix?: boolean;
}

export interface FrameTruth {
  /** 0-based tile column and row. */
  column: number;
  row: number;
  focalPlane: number;
  opticalPath: number;
}

export interface SyntheticSlide {
  datasets: DicomJsonDataset[];
  /** SOPInstanceUID -> truth of each frame (index = frameNumber - 1). */
  frames: Map<string, FrameTruth[]>;
  /** SOPInstanceUIDs of each spec'd level, in spec order. */
  levelUids: string[][];
  ancillaryUids: string[];
  studyUid: string;
  seriesUid: string;
}

type Value = string | number | DicomJsonDataset;
const el = (vr: string, ...values: Value[]): DicomJsonElement => ({ vr, Value: values });
const seq = (...items: DicomJsonDataset[]): DicomJsonElement => ({ vr: 'SQ', Value: items });

/** A deterministic permutation (xorshift32 Fisher-Yates). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export function buildWsiMetadata(spec: { levels: SyntheticLevel[]; ancillary?: SyntheticAncillary[] }): SyntheticSlide {
  const studyUid = `${UID_ROOT}.1`;
  const seriesUid = `${UID_ROOT}.2`;
  let instanceNumber = 0;
  const datasets: DicomJsonDataset[] = [];
  const frames = new Map<string, FrameTruth[]>();
  const common = (uid: string, flavor: string): DicomJsonDataset => ({
    '00080008': el('CS', 'ORIGINAL', 'PRIMARY', flavor, 'NONE'),
    '00080016': el('UI', WSI_SOP_CLASS),
    '00080018': el('UI', uid),
    '0020000D': el('UI', studyUid),
    '0020000E': el('UI', seriesUid),
    '00200013': el('IS', ++instanceNumber),
    // Metadata may name other places; the model must never request them.
    '7FE00010': { vr: 'OB', BulkDataURI: `https://evil.example/bulk/${uid}` },
  });

  const levelUids = spec.levels.map((level, levelIndex) => {
    const tileWidth = level.tileWidth;
    const tileHeight = level.tileHeight ?? tileWidth;
    const organization = level.organization ?? 'TILED_FULL';
    const positioned = organization === 'positions' || organization === 'both';
    if (!positioned && (level.shuffle !== undefined || level.missing !== undefined)) {
      throw new Error('shuffle and missing need per-frame positions');
    }
    const across = Math.ceil(level.width / tileWidth);
    const down = Math.ceil(level.height / tileHeight);
    const planes = level.focalPlanes ?? 1;
    const paths = level.opticalPaths ?? 1;
    const missing = new Set((level.missing ?? []).map(([c, r]) => `${c},${r}`));
    let list: FrameTruth[] = [];
    for (let opticalPath = 0; opticalPath < paths; opticalPath++) {
      for (let focalPlane = 0; focalPlane < planes; focalPlane++) {
        for (let row = 0; row < down; row++) {
          for (let column = 0; column < across; column++) {
            if (!missing.has(`${column},${row}`)) list.push({ column, row, focalPlane, opticalPath });
          }
        }
      }
    }
    if (level.shuffle !== undefined) list = shuffled(list, level.shuffle);
    const count = level.instances ?? 1;
    const concatenated = level.concatenation ?? count > 1;
    const perInstance = Math.ceil(list.length / count);
    const concatenationUid = `${UID_ROOT}.3.${levelIndex + 1}`;
    const uids: string[] = [];
    for (let part = 0; part < count; part++) {
      const mine = list.slice(part * perInstance, (part + 1) * perInstance);
      const uid = `${UID_ROOT}.4.${levelIndex + 1}.${part + 1}`;
      const ds = common(uid, level.flavor ?? 'VOLUME');
      Object.assign(ds, {
        '00083002': el('UI', level.transferSyntaxUid ?? JPEG_BASELINE),
        '00280008': el('IS', mine.length),
        '00280010': el('US', tileHeight),
        '00280011': el('US', tileWidth),
        '00480006': el('UL', level.width),
        '00480007': el('UL', level.height),
        '00480302': el('UL', paths),
        '00480303': el('UL', planes),
        '00480105': seq(...Array.from({ length: paths }, (_, p) => ({ '00480106': el('SH', `path-${p}`) }))),
        '52009229': seq({
          '00289110': seq({
            '00280030': el('DS', ...(level.pixelSpacingMm ?? [0.00025 * 2 ** levelIndex, 0.00025 * 2 ** levelIndex])),
          }),
        }),
      });
      if (level.metaTransferSyntaxUid !== undefined) ds['00020010'] = el('UI', level.metaTransferSyntaxUid);
      if (level.attributes !== undefined) Object.assign(ds, level.attributes);
      if (organization === 'TILED_FULL' || organization === 'both') ds['00209311'] = el('CS', 'TILED_FULL');
      if (concatenated) {
        ds['00209161'] = el('UI', concatenationUid);
        ds['00209228'] = el('UL', part * perInstance);
        ds['00209162'] = el('US', part + 1);
        ds['00209163'] = el('US', count);
      }
      if (positioned) {
        ds['52009230'] = seq(
          ...mine.map((f) => ({
            '0048021A': seq({
              '0048021E': el('SL', f.column * tileWidth + 1),
              '0048021F': el('SL', f.row * tileHeight + 1),
              '0040072A': el('DS', f.column * tileWidth * 0.00025),
              '0040073A': el('DS', f.row * tileHeight * 0.00025),
              // Planes listed from the coverslip down: the model must pick the lowest Z itself.
              '0040074A': el('DS', (planes - 1 - f.focalPlane) * 0.001),
            }),
            '00480207': seq({ '00480106': el('SH', `path-${f.opticalPath}`) }),
          })),
        );
      }
      frames.set(uid, mine);
      datasets.push(ds);
      uids.push(uid);
    }
    return uids;
  });

  const ancillaryUids = (spec.ancillary ?? []).map((image, i) => {
    const uid = `${UID_ROOT}.5.${i + 1}`;
    const ds = common(uid, image.flavor);
    Object.assign(ds, {
      '00083002': el('UI', JPEG_BASELINE),
      '00280008': el('IS', 1),
      '00280010': el('US', image.height),
      '00280011': el('US', image.width),
    });
    if (image.totalPixelMatrix === true) {
      ds['00480006'] = el('UL', image.width);
      ds['00480007'] = el('UL', image.height);
    }
    frames.set(uid, [{ column: 0, row: 0, focalPlane: 0, opticalPath: 0 }]);
    datasets.push(ds);
    return uid;
  });

  return { datasets, frames, levelUids, ancillaryUids, studyUid, seriesUid };
}

/** The study/series URL a test serves the metadata under. */
export function seriesUrlOf(slide: SyntheticSlide, root = 'https://pacs.example/dicom-web'): string {
  return `${root}/studies/${slide.studyUid}/series/${slide.seriesUid}`;
}

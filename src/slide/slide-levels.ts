/**
 * Groups parsed WSI instances into levels (VOLUME) and ancillary images (LABEL, OVERVIEW,
 * THUMBNAIL), and gives each its `frameAt`. Pure: no network.
 *
 * Grouping: one level per (TotalPixelMatrixColumns, TotalPixelMatrixRows, Columns, Rows).
 * Inside a level, a ConcatenationUID ties instances into one frame sequence; instances without
 * one are sequences of their own. Only the first optical path (and, with explicit positions,
 * the focal plane nearest the glass, i.e. the lowest Z offset) is addressed; the rest is logged.
 */
import type { LogFields, Logger } from '../core/ports.js';
import type { Instance, Level } from './slide-types.js';
import {
  createPositionIndex,
  createTiledFullLocator,
  tilesAcross,
  tilesDown,
  type FrameLocator,
  type PositionedFrame,
  type TileGrid,
  type TiledFullPart,
} from './tile-index.js';
import type { WsiImageFlavor, WsiInstanceInfo } from './wsi-instance.js';

const FLAVOR_ORDER: readonly WsiImageFlavor[] = ['VOLUME', 'LABEL', 'OVERVIEW', 'THUMBNAIL'];

interface Member {
  info: WsiInstanceInfo;
  instance: Instance;
}

export function buildLevels(
  infos: readonly WsiInstanceInfo[],
  seriesUrl: string,
  logger: Logger,
): { levels: Level[]; ancillary: Level[] } {
  const groups = new Map<string, Member[]>();
  const seen = new Set<string>();
  for (const info of infos) {
    if (seen.has(info.sopInstanceUid)) {
      logger.warn('openSlide: skipping a repeated SOPInstanceUID', { sopInstanceUid: info.sopInstanceUid });
      continue;
    }
    seen.add(info.sopInstanceUid);
    const key = [info.flavor, info.totalColumns, info.totalRows, info.columns, info.rows].join(' ');
    const instance: Instance = {
      url: `${seriesUrl}/instances/${info.sopInstanceUid}`,
      frameCount: info.numberOfFrames,
      sopInstanceUid: info.sopInstanceUid,
      frameOffset: info.frameOffset,
      pixelFormat: info.pixelFormat,
    };
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [{ info, instance }]);
    else group.push({ info, instance });
  }
  const built: Level[] = [];
  for (const members of groups.values()) {
    const level = buildLevel(members, logger);
    if (level !== undefined) built.push(level);
  }
  const levels = built.filter((level) => level.flavor === 'VOLUME').toSorted(bySize);
  const ancillary = built
    .filter((level) => level.flavor !== 'VOLUME')
    .toSorted((a, b) => flavorRank(a.flavor) - flavorRank(b.flavor) || bySize(a, b));
  levels.forEach((level, index) => (level.index = index));
  ancillary.forEach((level, index) => (level.index = index));
  return { levels, ancillary };
}

/** Largest first. */
function bySize(a: Level, b: Level): number {
  return b.width - a.width || b.height - a.height || b.frameWidth - a.frameWidth || b.frameHeight - a.frameHeight;
}

function flavorRank(flavor: WsiImageFlavor | undefined): number {
  return flavor === undefined ? FLAVOR_ORDER.length : FLAVOR_ORDER.indexOf(flavor);
}

function compareMembers(a: Member, b: Member): number {
  return (
    a.info.frameOffset - b.info.frameOffset ||
    (a.info.inConcatenationNumber ?? 0) - (b.info.inConcatenationNumber ?? 0) ||
    (a.info.instanceNumber ?? Infinity) - (b.info.instanceNumber ?? Infinity) ||
    (a.info.sopInstanceUid < b.info.sopInstanceUid ? -1 : a.info.sopInstanceUid > b.info.sopInstanceUid ? 1 : 0)
  );
}

/** Concatenations (and lone instances) as units, each sorted by frame offset, units by instance number. */
function splitUnits(members: readonly Member[]): Member[][] {
  const byConcatenation = new Map<string, Member[]>();
  const units: Member[][] = [];
  for (const member of members) {
    const uid = member.info.concatenationUid;
    if (uid === undefined) {
      units.push([member]);
      continue;
    }
    const unit = byConcatenation.get(uid);
    if (unit === undefined) {
      const fresh = [member];
      byConcatenation.set(uid, fresh);
      units.push(fresh);
    } else {
      unit.push(member);
    }
  }
  for (const unit of units) unit.sort(compareMembers);
  const firstNumber = (unit: Member[]): number =>
    Math.min(...unit.map((member) => member.info.instanceNumber ?? Infinity));
  return units.toSorted((a, b) => firstNumber(a) - firstNumber(b) || compareMembers(a[0] as Member, b[0] as Member));
}

function unitOpticalPath(unit: readonly Member[]): string | undefined {
  const info = (unit[0] as Member).info;
  return (
    info.opticalPathIds[0] ?? info.sharedOpticalPath ?? info.positions?.opticalPaths.find((id) => id !== undefined)
  );
}

/** TILED_FULL declared, or no positions and no TILED_SPARSE (whose tiles cannot be counted in order). */
function isTiledFullUnit(unit: readonly Member[]): boolean {
  return unit.some((m) => m.info.tiledFull) || unit.every((m) => m.info.positions === undefined && !m.info.tiledSparse);
}

function buildLevel(members: readonly Member[], logger: Logger): Level | undefined {
  const first = (members[0] as Member).info;
  const grid: TileGrid = {
    width: first.totalColumns,
    height: first.totalRows,
    frameWidth: first.columns,
    frameHeight: first.rows,
  };
  const fields = { flavor: first.flavor, width: grid.width, height: grid.height };
  let units = splitUnits(members);
  const opticalPath = unitOpticalPath(units[0] as Member[]);
  const otherPaths = units.filter((unit) => {
    const path = unitOpticalPath(unit);
    return path !== undefined && opticalPath !== undefined && path !== opticalPath;
  });
  if (otherPaths.length > 0) {
    logger.info('openSlide: several optical paths in one level; using the first', { ...fields, opticalPath });
    units = units.filter((unit) => !otherPaths.includes(unit));
  }

  let locate: FrameLocator<Instance>;
  let used: Member[];
  if (units.every(isTiledFullUnit)) {
    ({ locate, used } = tiledFullLevel(grid, units, logger, fields));
  } else {
    ({ locate, used } = positionedLevel(grid, units, opticalPath, logger, fields));
  }
  if (used.length === 0) {
    logger.warn('openSlide: no usable frame in a level; skipping it', fields);
    return undefined;
  }
  const syntaxes = new Set(used.map((m) => m.info.transferSyntaxUid));
  if (syntaxes.size > 1) {
    logger.warn('openSlide: instances of one level differ in transfer syntax', { ...fields, syntaxes: [...syntaxes] });
  }
  const spacing = used.find((m) => m.info.pixelSpacingMm !== undefined)?.info.pixelSpacingMm;
  const level: Level = {
    index: 0,
    flavor: first.flavor,
    width: grid.width,
    height: grid.height,
    frameWidth: grid.frameWidth,
    frameHeight: grid.frameHeight,
    frameCount: used.reduce((sum, m) => sum + m.info.numberOfFrames, 0),
    transferSyntaxUid: (used[0] as Member).info.transferSyntaxUid,
    instances: used.map((m) => m.instance),
    frameAt: locate,
  };
  if (spacing !== undefined) level.pixelSpacingMm = [spacing[0], spacing[1]];
  return level;
}

/** Start index of each member in its unit's frame sequence; the attribute unless it overlaps. */
function startIndexes(unit: readonly Member[], logger: Logger, fields: LogFields): number[] {
  let end = 0;
  let consistent = true;
  for (const member of unit) {
    if (member.info.frameOffset < end) consistent = false;
    end = member.info.frameOffset + member.info.numberOfFrames;
  }
  if (consistent) return unit.map((m) => m.info.frameOffset);
  logger.warn('openSlide: ConcatenationFrameOffsetNumber values overlap; counting frames in order instead', fields);
  // In the concatenation's order: the unit is sorted by the offsets that just proved wrong (a
  // member without one reads as 0 and sorted first, and took its predecessors' frames).
  const starts = new Map<Member, number>();
  let start = 0;
  for (const member of unit.toSorted(byConcatenationOrder)) {
    starts.set(member, start);
    start += member.info.numberOfFrames;
  }
  return unit.map((m) => starts.get(m) as number);
}

function byConcatenationOrder(a: Member, b: Member): number {
  return (
    (a.info.inConcatenationNumber ?? Infinity) - (b.info.inConcatenationNumber ?? Infinity) ||
    (a.info.instanceNumber ?? Infinity) - (b.info.instanceNumber ?? Infinity) ||
    compareMembers(a, b)
  );
}

function tiledFullLevel(
  grid: TileGrid,
  units: Member[][],
  logger: Logger,
  fields: LogFields,
): { locate: FrameLocator<Instance>; used: Member[] } {
  const perPlane = tilesAcross(grid) * tilesDown(grid);
  let used: Member[];
  let starts: number[];
  if (units.length === 1) {
    used = units[0] as Member[];
    starts = startIndexes(used, logger, fields);
  } else {
    const all = units.flat();
    const total = all.reduce((sum, m) => sum + m.info.numberOfFrames, 0);
    if (total === perPlane) {
      // One plane split over instances without a concatenation: count frames in order.
      used = all;
      let start = 0;
      starts = all.map((m) => {
        const at = start;
        start += m.info.numberOfFrames;
        return at;
      });
    } else {
      logger.info(
        'openSlide: several TILED_FULL images of one size (focal planes or optical paths?); using the first',
        {
          ...fields,
          images: units.length,
        },
      );
      used = units[0] as Member[];
      starts = startIndexes(used, logger, fields);
    }
  }
  const head = (used[0] as Member).info;
  if (head.focalPlanes > 1 || head.opticalPathIds.length > 1) {
    logger.info('openSlide: several focal planes or optical paths; frameAt addresses the first', {
      ...fields,
      focalPlanes: head.focalPlanes,
      opticalPaths: head.opticalPathIds.length,
    });
  }
  const parts: TiledFullPart<Instance>[] = used.map((m, i) => ({
    instance: m.instance,
    startIndex: starts[i] as number,
    frameCount: m.info.numberOfFrames,
  }));
  return { locate: createTiledFullLocator(grid, parts), used };
}

/** Whether some tile position holds frames of two Z offsets (focal planes the metadata did not declare). */
function positionAtTwoZ(members: readonly Member[]): boolean {
  const zAt = new Map<string, number>();
  for (const { info } of members) {
    const positions = info.positions;
    if (positions === undefined) continue;
    for (let i = 0; i < positions.z.length; i++) {
      const z = positions.z[i] as number;
      if (Number.isNaN(z)) continue;
      const key = `${positions.columns[i]},${positions.rows[i]},${positions.opticalPaths[i] ?? ''}`;
      const seen = zAt.get(key);
      if (seen === undefined) zAt.set(key, z);
      else if (seen !== z) return true;
    }
  }
  return false;
}

function positionedLevel(
  grid: TileGrid,
  units: Member[][],
  opticalPath: string | undefined,
  logger: Logger,
  fields: LogFields,
): { locate: FrameLocator<Instance>; used: Member[] } {
  const members = units.flat();
  const pathMatches = (id: string | undefined): boolean =>
    id === undefined || opticalPath === undefined || id === opticalPath;
  const zs = new Set<number>();
  for (const { info } of members) {
    const positions = info.positions;
    if (positions === undefined) continue;
    positions.z.forEach((z, i) => {
      if (!Number.isNaN(z) && pathMatches(positions.opticalPaths[i])) zs.add(z);
    });
  }
  // Several focal planes (declared, or one tile position at two Z offsets): frameAt addresses
  // the lowest Z. Else Z varies per tile only where the scanner followed the tissue (a focus
  // map) and every tile is of the one plane: filtering by Z would drop all but the lowest tiles.
  let focalZ: number | undefined;
  if (zs.size > 1 && (units.some((unit) => (unit[0] as Member).info.focalPlanes > 1) || positionAtTwoZ(members)))
    for (const z of zs) if (!(focalZ! <= z)) focalZ = z;
  if (focalZ !== undefined && zs.size > 1)
    logger.info('openSlide: several focal planes; frameAt addresses the lowest Z offset', { ...fields, focalZ });
  let unpositioned = 0;
  const across = tilesAcross(grid);
  const perPlane = across * tilesDown(grid);
  function* frames(): Generator<PositionedFrame<Instance>> {
    for (const { info, instance } of members) {
      const positions = info.positions;
      for (let i = 0; i < info.numberOfFrames; i++) {
        if (positions === undefined && info.tiledSparse) {
          // TILED_SPARSE without per-frame positions: where its tiles are is unknown, and counting
          // them in order would give absent tiles' places to the next ones.
          unpositioned += info.numberOfFrames;
          break;
        }
        if (positions === undefined) {
          // An instance without positions in a positioned level: its frames are implicit (TILED_FULL).
          const t = info.frameOffset + i;
          if (t >= perPlane) break;
          const column = (t % across) * grid.frameWidth + 1;
          const row = Math.floor(t / across) * grid.frameHeight + 1;
          yield { instance, frameNumber: i + 1, column, row };
          continue;
        }
        const column = positions.columns[i] as number;
        const row = positions.rows[i] as number;
        if (Number.isNaN(column) || Number.isNaN(row)) {
          unpositioned++;
          continue;
        }
        if (!pathMatches(positions.opticalPaths[i])) continue;
        const z = positions.z[i] as number;
        if (focalZ !== undefined && !Number.isNaN(z) && z !== focalZ) continue;
        yield { instance, frameNumber: i + 1, column, row };
      }
    }
  }
  const index = createPositionIndex(grid, frames());
  if (index.offGrid > 0 || index.duplicates > 0 || index.outside > 0 || unpositioned > 0) {
    logger.warn('openSlide: irregular frame positions in a level', {
      ...fields,
      offGrid: index.offGrid,
      duplicates: index.duplicates,
      outside: index.outside,
      unpositioned,
    });
  }
  const used = members.filter((m) => index.instancesUsed.has(m.instance));
  if (used.length < members.length) {
    logger.info('openSlide: instances with no frame in the addressed plane left out of the level', {
      ...fields,
      left: members.length - used.length,
    });
  }
  return { locate: index.locate, used };
}

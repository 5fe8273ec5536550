/**
 * OpenSeadragon logs every failed tile with `console.error`, including the tiles a viewer aborts
 * on purpose (they left the view). Those are routed to `console.debug`; every other message,
 * real tile failures included, goes through untouched.
 */
import OpenSeadragon from 'openseadragon';

const TILE_FAILED = 'Tile %s failed to load: %s - error: %s';

let installed = false;

export function quietAbortedTileErrors(wasAborted: (tile: object) => boolean): void {
  if (installed) return;
  installed = true;
  const osd = OpenSeadragon as unknown as { console: Console };
  const base = osd.console;
  const quiet: Console = Object.create(base) as Console;
  quiet.error = (...args: unknown[]): void => {
    const tile = args[1];
    if (args[0] === TILE_FAILED && typeof tile === 'object' && tile !== null && wasAborted(tile)) {
      base.debug('[dicomweb-frame-cache] aborted tile (left the view):', String(args[2]));
      return;
    }
    base.error(...args);
  };
  osd.console = quiet;
}

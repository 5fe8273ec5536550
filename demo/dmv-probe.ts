// What the end-to-end test and the bench read from the dicom-microscopy-viewer page, without
// changing the viewer: its own tile events (frame_loading_started / _ended / _error, bubbling to
// the document) and the events of its OpenLayers map, on the page's clock (performance.now(),
// ms since navigation start). A view is complete when the map has stopped moving (`moveend`:
// no animation, no interaction), has then drawn a frame with every tile of the viewport loaded
// (`rendercomplete`), and no tile the viewer started is still loading.

export interface TileCounts {
  started: number;
  ended: number;
  failed: number;
  /** performance.now() of the first tile started, or undefined. */
  firstStartedAt: number | undefined;
  /** performance.now() of the latest tile ended, or undefined. */
  lastEndedAt: number | undefined;
}

export interface Settled {
  /** performance.now() when the view was complete. */
  at: number;
  /** moveend events so far. */
  moves: number;
  tiles: TileCounts;
}

export interface DmvProbe {
  tiles(): TileCounts;
  /** moveend events so far: read it before an interaction, pass it to settled() after. */
  moves(): number;
  /**
   * Resolves once the map has ended a move after the first `moves` ones and the view is complete
   * (see above). Rejects, saying what is pending, when neither a tile event nor a frame happened
   * for `stallMs`: a hang, not a slow view.
   */
  settled(moves: number, stallMs: number): Promise<Settled>;
}

interface OlMapLike {
  on(type: 'rendercomplete' | 'postrender' | 'moveend', listener: () => void): unknown;
}

/** The viewer's OpenLayers map: dicom-microscopy-viewer keeps it under Symbol.for('map'). */
function mapOf(viewer: object): OlMapLike {
  const map = (viewer as Record<symbol, unknown>)[Symbol.for('map')] as OlMapLike | undefined;
  if (typeof map?.on !== 'function')
    throw new Error('dicom-microscopy-viewer: no OpenLayers map under Symbol.for("map")');
  return map;
}

/** Call before `viewer.render()`, so that the first view's events are seen. */
export function installDmvProbe(viewer: object): DmvProbe {
  const tiles: TileCounts = { started: 0, ended: 0, failed: 0, firstStartedAt: undefined, lastEndedAt: undefined };
  let moves = 0;
  let frames = 0;
  /** Whether the latest frame drawn was complete (rendercomplete comes after its postrender). */
  let complete = false;
  let lastProgressAt = performance.now();
  const listeners = new Set<() => void>();
  const progress = (): void => {
    lastProgressAt = performance.now();
    for (const listener of listeners) listener(); // a Set may lose members while iterated
  };
  document.addEventListener('dicommicroscopyviewer_frame_loading_started', () => {
    tiles.started++;
    tiles.firstStartedAt ??= performance.now();
    progress();
  });
  document.addEventListener('dicommicroscopyviewer_frame_loading_ended', () => {
    tiles.ended++;
    tiles.lastEndedAt = performance.now();
    progress();
  });
  document.addEventListener('dicommicroscopyviewer_frame_loading_error', () => {
    tiles.failed++;
    progress();
  });
  const map = mapOf(viewer);
  map.on('moveend', () => moves++);
  map.on('postrender', () => {
    frames++;
    complete = false;
    progress();
  });
  map.on('rendercomplete', () => {
    complete = true;
    progress();
  });

  return {
    tiles: () => ({ ...tiles }),
    moves: () => moves,
    settled: (after, stallMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (moves <= after || !complete || tiles.started === 0 || tiles.ended < tiles.started) return;
          done();
          resolve({ at: performance.now(), moves, tiles: { ...tiles } });
        };
        const watchdog = setInterval(
          () => {
            const idleMs = performance.now() - lastProgressAt;
            if (idleMs < stallMs) return;
            done();
            reject(
              new Error(
                `The viewer did not settle: no tile event or frame for ${Math.round(idleMs)} ms; tiles started ` +
                  `${tiles.started}, ended ${tiles.ended}, failed ${tiles.failed}; moveend ${moves} (waiting for more ` +
                  `than ${after}); ${frames} frames drawn, the latest ${complete ? 'complete' : 'not complete'}`,
              ),
            );
          },
          Math.min(1000, stallMs),
        );
        const done = (): void => {
          clearInterval(watchdog);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
  };
}

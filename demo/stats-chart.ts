/**
 * A small canvas chart of the last minute: requests per second (bars) and the hit rate since
 * the counters were reset (line). Plain 2D canvas: no library, nothing a strict CSP refuses.
 */

export interface ChartSample {
  /** Requests sent during this second. */
  requests: number;
  /** hits / (hits + misses) at the end of this second; undefined before the first read. */
  hitRate: number | undefined;
}

const SECONDS = 60;
const COLORS = { requests: '#7b61c9', hitRate: '#1f9d74', grid: '#e7e8ee', text: '#8a8fa0' };

export class StatsChart {
  readonly #canvas: HTMLCanvasElement;
  readonly #samples: ChartSample[] = [];
  readonly #scaleLabel: HTMLElement | null;

  constructor(canvas: HTMLCanvasElement, scaleLabel: HTMLElement | null) {
    this.#canvas = canvas;
    this.#scaleLabel = scaleLabel;
  }

  push(sample: ChartSample): void {
    this.#samples.push(sample);
    if (this.#samples.length > SECONDS) this.#samples.shift();
    this.draw();
  }

  clear(): void {
    this.#samples.length = 0;
    this.draw();
  }

  draw(): void {
    const canvas = this.#canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssWidth = canvas.clientWidth || 320;
    const cssHeight = canvas.clientHeight || 96;
    if (canvas.width !== Math.round(cssWidth * dpr) || canvas.height !== Math.round(cssHeight * dpr)) {
      canvas.width = Math.round(cssWidth * dpr);
      canvas.height = Math.round(cssHeight * dpr);
    }
    const context = canvas.getContext('2d');
    if (context === null) return;
    context.setTransform(dpr, 0, 0, dpr, 0, 0);
    context.clearRect(0, 0, cssWidth, cssHeight);

    const top = 6;
    const bottom = cssHeight - 4;
    const height = bottom - top;
    context.strokeStyle = COLORS.grid;
    context.lineWidth = 1;
    for (const fraction of [0, 0.5, 1]) {
      const y = Math.round(top + height * fraction) + 0.5;
      context.beginPath();
      context.moveTo(0, y);
      context.lineTo(cssWidth, y);
      context.stroke();
    }

    const step = cssWidth / SECONDS;
    const offset = SECONDS - this.#samples.length;
    const peak = Math.max(1, ...this.#samples.map((s) => s.requests));
    const maxRequests = niceCeiling(peak);
    context.fillStyle = COLORS.requests;
    this.#samples.forEach((sample, i) => {
      if (sample.requests === 0) return;
      const barHeight = Math.max(2, (sample.requests / maxRequests) * height);
      context.fillRect((offset + i) * step + 1, bottom - barHeight, Math.max(1, step - 2), barHeight);
    });

    context.strokeStyle = COLORS.hitRate;
    context.lineWidth = 2;
    context.lineJoin = 'round';
    context.beginPath();
    let drawing = false;
    this.#samples.forEach((sample, i) => {
      if (sample.hitRate === undefined) {
        drawing = false;
        return;
      }
      const x = (offset + i + 0.5) * step;
      const y = bottom - sample.hitRate * height;
      if (drawing) context.lineTo(x, y);
      else context.moveTo(x, y);
      drawing = true;
    });
    context.stroke();

    if (this.#scaleLabel !== null) this.#scaleLabel.textContent = `bars up to ${maxRequests}/s · line 0–100% · 60 s`;
  }
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= value) return m * magnitude;
  return 10 * magnitude;
}

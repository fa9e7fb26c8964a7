import { useEffect, useRef, useState } from 'react';
import { formatCount } from './format.ts';

export interface Point {
  day: string;
  value: number;
}

const H = 240;
const PAD = { top: 12, right: 12, bottom: 28, left: 56 };

function compact(value: number): string {
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

/** A daily series as an inline SVG column chart (no chart library), with the numbers also available as a table. */
export function DailyChart({ points, metric }: { points: Point[]; metric: string }) {
  // Drawn at the figure's real width, so text keeps its size on a phone and on a desktop.
  const figure = useRef<HTMLElement>(null);
  const [W, setWidth] = useState(640);
  useEffect(() => {
    const element = figure.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => {
      const width = Math.round(entries[0]?.contentRect.width ?? 0);
      if (width > 0) setWidth(width);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  if (points.length === 0) return <p className="muted">No rows yet, so nothing to chart.</p>;
  const max = Math.max(0, ...points.map((p) => p.value));
  const min = Math.min(0, ...points.map((p) => p.value));
  const span = max - min || 1;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const step = innerW / points.length;
  const barW = Math.max(1, Math.min(40, step * 0.8));
  const y = (v: number) => PAD.top + innerH - ((v - min) / span) * innerH;
  const ticks = [min, min + span / 2, max];
  const day = (iso: string) => iso.slice(0, 10);
  const labelEvery = Math.max(1, Math.ceil(points.length / Math.max(2, Math.floor(innerW / 70))));
  return (
    <figure className="chart" ref={figure}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby="chart-title">
        <title id="chart-title">
          Daily sum of {metric}, {day(points[0]?.day ?? '')} to {day(points[points.length - 1]?.day ?? '')}
        </title>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="grid" />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="axis">
              {compact(t)}
            </text>
          </g>
        ))}
        {points.map((p, i) => {
          const x = PAD.left + i * step + (step - barW) / 2;
          const top = y(Math.max(p.value, 0));
          const height = Math.max(1, Math.abs(y(p.value) - y(0)));
          return (
            <g key={p.day}>
              <rect x={x} y={top} width={barW} height={height} className="bar">
                <title>
                  {day(p.day)}: {formatCount(p.value)}
                </title>
              </rect>
              {i % labelEvery === 0 ? (
                <text x={x + barW / 2} y={H - 8} textAnchor="middle" className="axis">
                  {day(p.day).slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Show the numbers</summary>
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col" className="num">
                  {metric}
                </th>
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.day}>
                  <td>{day(p.day)}</td>
                  <td className="num">{formatCount(p.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

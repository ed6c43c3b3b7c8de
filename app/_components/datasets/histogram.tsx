/** A small SVG histogram of a source's values. */
export function MiniHistogram({ edges, counts, width = 160, height = 36 }: { edges: number[]; counts: number[]; width?: number; height?: number }) {
  const max = Math.max(1, ...counts);
  const bw = width / Math.max(1, counts.length);
  const lo = edges[0] ?? 0;
  const hi = edges[edges.length - 1] ?? 0;
  return (
    <svg width={width} height={height + 12} role="img" aria-label={`histogram of values from ${lo.toFixed(2)} to ${hi.toFixed(2)}`}>
      {counts.map((c, i) => {
        const h = c === 0 ? 0 : Math.max(1, (Math.log1p(c) / Math.log1p(max)) * height);
        return <rect key={i} x={i * bw} y={height - h} width={Math.max(1, bw - 0.5)} height={h} fill="#2f6fde" opacity={0.8}><title>{`[${edges[i]?.toFixed(3)}, ${edges[i + 1]?.toFixed(3)}): ${c.toLocaleString()}`}</title></rect>;
      })}
      <text x={0} y={height + 11} fontSize={9} fill="#5d6672">{lo.toFixed(2)}</text>
      <text x={width} y={height + 11} fontSize={9} fill="#5d6672" textAnchor="end">{hi.toFixed(2)}</text>
    </svg>
  );
}

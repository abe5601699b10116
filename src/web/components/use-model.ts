/** Re-render a view when the panel model changes (at most once a frame). @module */
import { useEffect, useState } from 'preact/hooks';
import type { PanelModel } from '../panel-model.js';

export function useModel(model: PanelModel): number {
  const [version, setVersion] = useState(model.version);
  useEffect(() => model.on(() => setVersion(model.version)), [model]);
  return version;
}

/** A clock that ticks every `ms` while `active` (for elapsed times). */
export function useTicker(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return now;
}

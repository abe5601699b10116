/** Re-render a view when the panel model changes (at most once a frame). @module */
import { useEffect, useRef, useState } from 'preact/hooks';
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

/**
 * `value`, changed at most every `ms` (the latest value always arrives, at the latest `ms` after
 * it changed): a view nobody can read at 60 frames a second updates a few times a second instead.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  const latest = useRef(value);
  latest.current = value;
  useEffect(() => {
    if (Object.is(value, shown)) return undefined;
    const wait = last.current + ms - performance.now();
    if (wait <= 0) { last.current = performance.now(); setShown(value); return undefined; }
    const t = setTimeout(() => { last.current = performance.now(); setShown(latest.current); }, wait);
    return () => clearTimeout(t);
  }, [value]);
  return shown;
}

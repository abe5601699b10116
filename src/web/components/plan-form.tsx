/**
 * The plan list and a form generated from the chosen plan's parameter schema.
 * Every change is checked with the server's `validate` (debounced), and its
 * errors are shown next to the field they concern, before anything starts.
 * @module
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DeviceInfo, ErrorDetail, PlanInfo } from '../../protocol/v2/client.js';
import { ClientError } from '../../protocol/v2/client.js';
import { isLegal } from '../actions.js';
import type { PanelModel } from '../panel-model.js';
import { type Field, type FieldValue, type FormValues, deviceGroups, fieldOfPath, fieldsOf, initialValues, toParams } from '../schema-form.js';

interface Problem { path: string; message: string }

/** Device names for a single-choice picker, in group order (detectors first). */
function devicesFor(role: Field['deviceRole'], devices: readonly DeviceInfo[]): string[] {
  return deviceGroups(role, devices).flatMap((g) => g.names);
}

export function PlanForm({ model }: { model: PanelModel }) {
  const plans = model.plans;
  const [planName, setPlanName] = useState<string>('');
  const plan = plans.find((p) => p.name === planName) ?? plans[0];
  const fields = useMemo(() => fieldsOf(plan?.params ?? null), [plan]);
  const [values, setValues] = useState<FormValues>({});
  const [problems, setProblems] = useState<Problem[]>([]);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [md, setMd] = useState('');
  const checkSeq = useRef(0);

  // A new plan: start from its defaults (params never carry over from one plan to the next).
  // Chosen in the select, the defaults come in the same render as the plan's fields: reset by an
  // effect alone, the fields would first show the last plan's values, and an edit made before the
  // effect ran (a quick click) would then be wiped. The effect covers the plan list arriving.
  const valuesFor = useRef<string | undefined>(undefined);
  function startFrom(p: PlanInfo | undefined): void {
    valuesFor.current = p?.name;
    setValues(initialValues(p?.params ?? null)); setProblems([]); setResult(null);
  }
  useEffect(() => { if (valuesFor.current !== plan?.name) startFrom(plan); }, [plan?.name]);
  function choose(name: string): void {
    setPlanName(name);
    startFrom(plans.find((p) => p.name === name));
  }
  // A refusal is about the last attempt: once a run starts it is stale.
  useEffect(() => { setResult((r) => (r?.ok === false ? null : r)); }, [model.run?.uid]);

  // Validate on the server as the user types (debounced); only the newest answer counts.
  useEffect(() => {
    if (plan === undefined || model.connection !== 'connected') return undefined;
    const t = setTimeout(() => {
      const mine = ++checkSeq.current;
      const local = toParams(fields, values);
      if (local.errors.length > 0) { setProblems(local.errors); return; }
      model.client.validate(plan.name, local.params).then(
        () => { if (mine === checkSeq.current) setProblems([]); },
        (e: unknown) => { if (mine === checkSeq.current) setProblems(problemsOf(e)); },
      );
    }, 250);
    return () => clearTimeout(t);
  }, [plan?.name, values, model.connection]);

  // Updates are functions of the previous value: two clicks before a re-render both count.
  function set(name: string, v: Update): void {
    setValues((old) => ({ ...old, [name]: typeof v === 'function' ? v(old[name]) : v }));
  }

  /** Start the plan now, or (`queue`) add it to the back of the queue: the same checks, the same error display. */
  async function submit(ev: Event, to: 'start' | 'queue'): Promise<void> {
    ev.preventDefault();
    if (plan === undefined) return;
    const local = toParams(fields, values);
    if (local.errors.length > 0) { setProblems(local.errors); setResult({ ok: false, text: 'fix the marked fields first' }); return; }
    let mdObj: Record<string, unknown> = {};
    if (md.trim() !== '') {
      try { mdObj = JSON.parse(md) as Record<string, unknown>; } catch { setResult({ ok: false, text: 'metadata must be a JSON object' }); return; }
    }
    if (to === 'queue') {
      const q = await model.act(`queue.add ${plan.name}`, () => model.client.request('queue.add', { item: { plan: plan.name, params: local.params, md: mdObj } }));
      // The item's problems come back under /item (/item/params/num): the form's fields are the params'.
      if (q.ok) { setResult({ ok: true, text: `queued ${plan.name} at position ${String(q.value.index + 1)} (item ${(q.value.items[0]?.item_uid ?? '').slice(0, 8)})` }); setProblems([]); }
      else { setResult({ ok: false, text: `${q.error.message} (${q.error.code})` }); setProblems(problemsOf(q.error).map((p) => ({ ...p, path: p.path.replace(/^\/item(?=\/|$)/, '') }))); }
      return;
    }
    const r = await model.act(`start ${plan.name}`, () => model.client.start(plan.name, local.params, mdObj));
    if (r.ok) { setResult({ ok: true, text: `started ${plan.name} (item ${r.value.item_id.slice(0, 8)})` }); setProblems([]); }
    else { setResult({ ok: false, text: r.error.message }); setProblems(problemsOf(r.error)); }
  }

  const byField = new Map<string, string[]>();
  const general: string[] = [];
  for (const p of problems) {
    const f = fieldOfPath(p.path);
    if (f === null || !fields.some((x) => x.name === f)) general.push(p.message);
    else byField.set(f, [...(byField.get(f) ?? []), p.message]);
  }
  const canStart = isLegal('start', model.status.state, model.status.busy) && model.connection === 'connected';

  return (
    <form class="plan-form" onSubmit={(e) => void submit(e, 'start')} aria-label="start a plan" noValidate>
      <label class="plan-pick">Plan
        <select value={plan?.name ?? ''} onChange={(e) => choose((e.target as HTMLSelectElement).value)} data-testid="plan-select">
          {plans.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
        </select>
      </label>
      {plan !== undefined && plan.description !== '' ? <p class="hint">{plan.description}</p> : null}
      {fields.map((f) => (
        <FieldInput key={`${plan?.name ?? ''}.${f.name}`} field={f} value={values[f.name]} devices={model.devices}
          errors={byField.get(f.name) ?? []} onChange={(v) => set(f.name, v)} />
      ))}
      {fields.some((f) => f.name === 'md') ? null : (
        <label class="field"><span class="label">Metadata <small class="hint">JSON object, added to the start document</small></span>
          <input type="text" value={md} placeholder='{"sample": "Si"}' onInput={(e) => setMd((e.target as HTMLInputElement).value)} />
        </label>
      )}
      {general.map((m) => <p class="field-error" role="alert">{m}</p>)}
      <div class="form-buttons">
        <button type="submit" class="primary" disabled={!canStart} data-action="start">Start {plan?.name ?? ''}</button>
        <button type="button" disabled={plan === undefined || model.connection !== 'connected'} data-action="queue-add"
          title="Add to the back of the queue (Queue tab), checked as Start checks" onClick={(e) => void submit(e, 'queue')}>Add to queue</button>
      </div>
      <p class={`reply ${result?.ok === false ? 'error' : ''}`} role="status" data-testid="start-reply">{result?.text ?? ''}</p>
    </form>
  );
}

function problemsOf(e: unknown): Problem[] {
  if (!(e instanceof ClientError)) return [{ path: '', message: String(e) }];
  return e.details.length > 0 ? e.details.map((d: ErrorDetail) => ({ path: d.path, message: d.message })) : [{ path: '', message: e.message }];
}

type Update = FieldValue | ((old: FieldValue | undefined) => FieldValue);
interface FieldProps { field: Field; value: FieldValue | undefined; devices: readonly DeviceInfo[]; errors: string[]; onChange: (v: Update) => void }

function FieldInput({ field: f, value, devices, errors, onChange }: FieldProps) {
  const id = `param-${f.name}`;
  const errId = `${id}-error`;
  const invalid = errors.length > 0;
  const describedBy = invalid ? errId : undefined;
  const text = typeof value === 'string' ? value : '';
  const label = (
    <span class="label">{f.title}{f.required ? <abbr title="required"> *</abbr> : null}
      {f.description !== '' ? <small class="hint"> {f.description}</small> : null}</span>
  );
  let input;
  switch (f.kind) {
    case 'boolean':
      input = <input id={id} type="checkbox" checked={value === true} aria-invalid={invalid} aria-describedby={describedBy} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />;
      break;
    case 'enum': case 'device': {
      const options = f.kind === 'enum' ? f.options ?? [] : devicesFor(f.deviceRole, devices);
      input = (
        <select id={id} value={text} aria-invalid={invalid} aria-describedby={describedBy} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
          {f.required ? null : <option value="">(default)</option>}
          {text !== '' && !options.includes(text) ? <option value={text}>{text} (unknown)</option> : null}
          {options.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      );
      break;
    }
    case 'devices': {
      const chosen = Array.isArray(value) ? (value as string[]) : [];
      const groups = deviceGroups(f.deviceRole, devices);
      const known = new Set(groups.flatMap((g) => g.names));
      const unknown = chosen.filter((c) => !known.has(c));
      const box = (o: string) => (
        <label key={o} class="choice"><input type="checkbox" name={f.name} value={o} checked={chosen.includes(o)}
          onChange={(e) => {
            const on = (e.target as HTMLInputElement).checked;
            onChange((old) => { const now = Array.isArray(old) ? (old as string[]).filter((c) => c !== o) : []; return on ? [...now, o] : now; });
          }} />{o}</label>
      );
      // Detectors and motors in separate pickers: a motor read as a detector is a deliberate choice.
      input = (
        <div id={id} class="pickers" aria-invalid={invalid} aria-describedby={describedBy}>
          {groups.map((g) => (
            <fieldset key={g.id} class="choices" data-group={g.id}>
              <legend>{g.label}</legend>
              {g.names.map(box)}
            </fieldset>
          ))}
          {unknown.length > 0 ? <fieldset class="choices" data-group="unknown"><legend>not on this server</legend>{unknown.map(box)}</fieldset> : null}
        </div>
      );
      break;
    }
    case 'rows':
      input = <RowsInput field={f} value={Array.isArray(value) ? (value as string[][]) : []} devices={devices} invalid={invalid} describedBy={describedBy} onChange={onChange} />;
      break;
    default: {
      const numeric = f.kind === 'number' || f.kind === 'integer';
      input = (
        <input id={id} type="text" inputMode={numeric ? 'decimal' : undefined} value={text} aria-invalid={invalid} aria-describedby={describedBy}
          placeholder={placeholder(f)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />
      );
    }
  }
  return (
    <div class={`field kind-${f.kind} ${invalid ? 'invalid' : ''}`} data-field={f.name}>
      {f.kind === 'devices' || f.kind === 'rows' ? <div class="field-label" id={`${id}-label`}>{label}</div> : <label for={id}>{label}</label>}
      {input}
      {invalid ? <p class="field-error" id={errId} role="alert" data-testid={`error-${f.name}`}>{errors.join('; ')}</p> : null}
    </div>
  );
}

function placeholder(f: Field): string {
  const range = f.minimum !== undefined || f.maximum !== undefined ? ` ${f.minimum ?? ''}…${f.maximum ?? ''}` : '';
  if (f.kind === 'integer') return `integer${range}${f.nullable ? ' (empty: default)' : ''}`;
  if (f.kind === 'number') return `number${range}${f.nullable ? ' (empty: default)' : ''}`;
  if (f.kind === 'numbers') return 'numbers, comma-separated';
  if (f.kind === 'strings') return 'names, comma-separated';
  if (f.kind === 'json') return 'JSON (empty: default)';
  return '';
}

interface RowsProps { field: Field; value: string[][]; devices: readonly DeviceInfo[]; invalid: boolean; describedBy: string | undefined; onChange: (v: Update) => void }

/** `args` as a table: one row per motor (motor, start, stop[, num]), rows added and removed. */
function RowsInput({ field: f, value, devices, invalid, describedBy, onChange }: RowsProps) {
  const cells = f.row ?? [];
  const rowsOf = (old: FieldValue | undefined): string[][] => (Array.isArray(old) ? (old as string[][]) : []);
  const put = (r: number, c: number, v: string): void => onChange((old) => rowsOf(old).map((row, i) => (i === r ? row.map((x, j) => (j === c ? v : x)) : row)));
  return (
    <table class="rows" aria-invalid={invalid} aria-describedby={describedBy} aria-labelledby={`param-${f.name}-label`}>
      <thead><tr>{cells.map((c) => <th key={c.name} scope="col">{c.title}</th>)}<th><span class="sr-only">remove</span></th></tr></thead>
      <tbody>
        {value.map((row, r) => (
          <tr key={r}>
            {cells.map((c, i) => (
              <td key={c.name}>
                {c.kind === 'device'
                  ? (
                    <select aria-label={`${c.title} of row ${String(r + 1)}`} value={row[i] ?? ''} onChange={(e) => put(r, i, (e.target as HTMLSelectElement).value)}>
                      <option value="">choose…</option>
                      {devicesFor(c.deviceRole, devices).map((d) => <option key={d} value={d}>{d}</option>)}
                    </select>
                  )
                  : <input type="text" inputMode={c.kind === 'numbers' ? 'text' : 'decimal'} aria-label={`${c.title} of row ${String(r + 1)}`} value={row[i] ?? ''}
                      placeholder={c.kind === 'numbers' ? '0, 0.5, 1' : c.kind} onInput={(e) => put(r, i, (e.target as HTMLInputElement).value)} />}
              </td>
            ))}
            <td><button type="button" class="small" aria-label={`remove row ${String(r + 1)}`} onClick={() => onChange((old) => rowsOf(old).filter((_, i) => i !== r))}>×</button></td>
          </tr>
        ))}
      </tbody>
      <tfoot><tr><td colSpan={cells.length + 1}>
        <button type="button" class="small" onClick={() => onChange((old) => [...rowsOf(old), cells.map(() => '')])}>+ add {cells[0]?.title ?? 'row'}</button>
      </td></tr></tfoot>
    </table>
  );
}

/**
 * Pause (deferred or now), resume, stop, abort (with a reason), halt: each
 * enabled only where legal. The reply stays beside them until the next run.
 * @module
 */
import { useRef } from 'preact/hooks';
import { type Action, isLegal } from '../actions.js';
import type { PanelModel } from '../panel-model.js';

const BUTTONS: ReadonlyArray<{ action: Exclude<Action, 'start'>; label: string; title: string; danger?: boolean }> = [
  { action: 'pauseDeferred', label: 'Pause at checkpoint', title: 'Deferred pause: pause at the next checkpoint' },
  { action: 'pause', label: 'Pause now', title: 'Immediate pause: interrupt now, rewind to the last checkpoint on resume' },
  { action: 'resume', label: 'Resume', title: 'Resume the paused plan' },
  { action: 'stop', label: 'Stop', title: 'Stop: run cleanup, mark the run successful' },
  { action: 'abort', label: 'Abort…', title: 'Abort: run cleanup, mark the run aborted with a reason', danger: true },
  { action: 'halt', label: 'Halt', title: 'Halt: no cleanup, mark the run aborted', danger: true },
];

export function Controls({ model }: { model: PanelModel }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const reason = useRef<HTMLInputElement>(null);
  const s = model.status;
  const reply = model.controlReply;

  function click(action: Exclude<Action, 'start'>): void {
    if (action === 'abort') {
      if (reason.current !== null) reason.current.value = '';
      dialog.current?.showModal();
      return;
    }
    void model.control(action);
  }

  return (
    <section class="controls" aria-label="run controls">
      <div class="buttons">
        {BUTTONS.map((b) => (
          <button type="button" key={b.action} class={b.danger === true ? 'danger' : ''} title={b.title}
            data-action={b.action} disabled={!isLegal(b.action, s.state, s.busy) || model.connection !== 'connected'}
            onClick={() => click(b.action)}>{b.label}</button>
        ))}
      </div>
      <p class={`reply ${reply?.ok === false ? 'error' : ''}`} role="status" data-testid="control-reply">{reply?.text ?? ''}</p>
      <dialog ref={dialog} class="abort-dialog" aria-labelledby="abort-title"
        onClose={() => { if (dialog.current?.returnValue === 'abort') void model.control('abort', reason.current?.value ?? ''); }}>
        <form method="dialog">
          <h2 id="abort-title">Abort the run</h2>
          <label>Reason (goes into the run's stop document)
            <input ref={reason} name="reason" type="text" autoFocus placeholder="e.g. sample moved" />
          </label>
          <div class="dialog-buttons">
            {/* Abort first: Enter in the reason field submits with the first button. */}
            <button value="abort" type="submit" class="danger">Abort</button>
            <button value="cancel" type="submit">Cancel</button>
          </div>
        </form>
      </dialog>
    </section>
  );
}

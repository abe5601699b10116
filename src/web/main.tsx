/**
 * Entry point of the web panel: connect to this server's protocol v2 endpoint
 * (`ws(s)://HOST:PORT/v2`, or `?ws=URL`) and render.
 * @module
 */
import { render } from 'preact';
import { App } from './app.js';
import { PanelModel } from './panel-model.js';
import './styles.css';

const override = new URLSearchParams(location.search).get('ws');
const url = override ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v2`;
const model = new PanelModel(url);
// For the end-to-end tests and the benchmark: the model and its counters.
(window as unknown as { __panel: PanelModel }).__panel = model;
const root = document.getElementById('app');
if (root !== null) render(<App model={model} />, root);
void model.open();

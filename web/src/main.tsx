import { render } from 'preact';
import { App } from './App';
import './style.css';

const root = document.getElementById('app');
if (root) {
  try {
    root.textContent = '';
    render(<App />, root);
  } catch (e) {
    root.innerHTML = '';
    const p = document.createElement('p');
    p.className = 'boot error';
    p.textContent = `The interface could not start: ${e instanceof Error ? e.message : String(e)}. Reload the page; if it persists, tell the administrator.`;
    root.append(p);
  }
}
